"""Runs diagram code in a separate, resource-limited interpreter: the sandbox host.

The work budget in ``sandbox_guards`` counts Python-level steps, but not work done in C inside a
builtin (hashing a set of colliding numbers, comparing aliased lists, ``str`` of a huge nested
list, Jinja folding ``10**(10**7)`` while compiling). That work holds the interpreter lock, so in
the web process it would stall every other request. Any diagram code that is not provably cheap
(``sandbox_cost``) is therefore sent to a host: a freshly started interpreter (never a fork of the
web process) that limits its own address space to its start-up size plus ``MEMORY_LIMIT`` and
evaluates one request at a time from a pipe. The caller waits on the pipe with a deadline
(releasing the interpreter lock, so other requests run), kills the host past ``TIME_LIMIT`` and
raises ``SandboxViolation``. A host that ran out of memory answers so and retires.

Hosts are pooled per process (one per concurrent caller, started lazily and kept warm), which
suits gunicorn threads, Celery's forked workers (the pool is dropped in a forked child),
runserver's thread per request and pytest alike. A host also kills itself (SIGALRM) if one
request runs far past the deadline, so a host whose caller died cannot spin for ever.
"""

from __future__ import annotations

import atexit
import builtins
import io
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO, Any

from engine.sandbox_guards import SandboxStopped, SandboxViolation

# Wall-clock time one evaluation may take, and memory it may allocate beyond the host's own.
TIME_LIMIT = float(os.environ.get("DW_SANDBOX_TIME_LIMIT", "1.0"))
MEMORY_LIMIT = 64 * 1024 * 1024
# Largest reply a host may send (results are size-checked before they are sent).
MAX_REPLY_BYTES = 32 * 1024 * 1024
# Hosts kept warm per process beyond those in use (each holds some 20 MB).
MAX_IDLE = 8
# A new host is given this long to start and answer its first ping.
START_TIMEOUT = 30.0

_HEADER = struct.Struct("!I")
_ROOT = Path(__file__).resolve().parent.parent
# The host imports engine submodules without running engine/__init__ (which loads SpiffWorkflow,
# lxml and jsonschema): start-up stays near a quarter of a second.
_BOOTSTRAP = (
    "import sys, types; root = sys.argv[1]; sys.path.insert(0, root); "
    "pkg = types.ModuleType('engine'); pkg.__path__ = [root + '/engine']; "
    "sys.modules['engine'] = pkg; "
    "from engine.sandbox_host import serve; serve()"
)


# --------------------------------------------------------------------------------------------
# The host side
# --------------------------------------------------------------------------------------------


def _read_exactly(stream: io.BufferedReader, size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def _handle(request: tuple[Any, ...]) -> Any:
    from engine import sandbox_jobs  # noqa: PLC0415 - the host's work, imported before limits

    return sandbox_jobs.run(request)


def _reply_for(request: tuple[Any, ...]) -> tuple[tuple[Any, ...], bool]:
    """(reply, retire): the host retires after running out of memory or stack."""
    try:
        return ("ok", _handle(request)), False
    except (MemoryError, RecursionError) as exc:
        what = (f"used more than {MEMORY_LIMIT >> 20} MB of memory" if isinstance(exc, MemoryError)
                else "recursed too deeply")
        return ("err", "SandboxStopped", f"it {what}", None), True
    except SandboxViolation as exc:
        return ("err", "SandboxViolation", str(exc)[:1000], None), False
    except SyntaxError as exc:
        return ("err", "SyntaxError", str(exc.msg)[:1000], exc.lineno), False
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller as text
        lineno = getattr(exc, "lineno", None)
        text = exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], str) else str(exc)
        return ("err", type(exc).__name__, text[:1000], lineno), False
    except BaseException as exc:  # noqa: BLE001 - SystemExit & co. from diagram code
        return ("err", "SandboxViolation", f"{type(exc).__name__} is not allowed", None), False


def _limit_memory() -> None:
    try:
        import resource  # noqa: PLC0415 - POSIX only

        with open("/proc/self/statm", encoding="ascii") as statm:
            size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (size + MEMORY_LIMIT, size + MEMORY_LIMIT))
    except (ImportError, OSError, ValueError):  # pragma: no cover - not Linux: time limit only
        pass


def serve() -> None:
    """The host's loop: read a request, answer it, until the caller closes the pipe."""
    requests = os.fdopen(0, "rb", buffering=0)
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # stray output must never corrupt the protocol
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the caller stops hosts, not the terminal
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # an alarm kills a host whose caller left
    _handle(("warm",))
    _limit_memory()
    reader = io.BufferedReader(requests)
    while True:
        header = _read_exactly(reader, _HEADER.size)
        if header is None:
            return
        payload = _read_exactly(reader, _HEADER.unpack(header)[0])
        if payload is None:
            return
        request = pickle.loads(payload)  # noqa: S301 - from the process that started this host
        signal.alarm(int(request[1] * 5) + 2)
        reply, retire = _reply_for((request[0], *request[2:]))
        try:
            out = pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL)
        except (MemoryError, RecursionError, pickle.PicklingError, TypeError):
            out = pickle.dumps(("err", "SandboxViolation", "its result cannot be returned", None))
            retire = True
        replies.write(_HEADER.pack(len(out)) + out)
        signal.alarm(0)
        if retire:
            return


# --------------------------------------------------------------------------------------------
# The caller side
# --------------------------------------------------------------------------------------------


class DiagramCodeError(Exception):
    """Diagram code failed in the host with an exception that is not a builtin one."""


class _ReplyUnpickler(pickle.Unpickler):
    """Replies hold data only: refuse every class but the few case data may contain."""

    _ALLOWED = frozenset({
        ("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"),
        ("datetime", "timedelta"), ("datetime", "timezone"), ("decimal", "Decimal"),
        ("builtins", "set"), ("builtins", "frozenset"),
    })

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a sandbox reply")
        return super().find_class(module, name)


def _exception(kind: str, message: str, lineno: int | None) -> Exception:
    if kind == "SandboxViolation":
        return SandboxViolation(message)
    if kind == "SandboxStopped":
        return SandboxStopped(message)
    if kind == "SyntaxError":
        return SyntaxError(message, ("<diagram>", lineno or 1, 0, ""))
    if kind == "TemplateSyntaxError":
        from jinja2 import TemplateSyntaxError  # noqa: PLC0415

        return TemplateSyntaxError(message, lineno or 1)
    cls = getattr(builtins, kind, None)
    if isinstance(cls, type) and issubclass(cls, Exception) and not issubclass(cls, MemoryError):
        try:
            return cls(message)
        except TypeError:  # e.g. UnicodeDecodeError wants five arguments
            pass
    return DiagramCodeError(f"{kind}: {message}")


class _HostFailed(Exception):
    """The host did not answer in time, or died: it must be killed, not reused."""


class _Host:
    """One running host process and its pipes."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and bootstrap
            [sys.executable, "-I", "-c", _BOOTSTRAP, str(_ROOT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        self.stdin: IO[bytes] = self.proc.stdin  # type: ignore[assignment]
        self.stdout: IO[bytes] = self.proc.stdout  # type: ignore[assignment]
        try:
            self.call(("ping",), START_TIMEOUT)
        except _HostFailed:
            self.kill()
            raise SandboxViolation("the sandbox host did not start") from None

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.stdin.close()
        self.stdout.close()

    def close(self) -> None:
        self.stdin.close()  # the host exits when its pipe closes

    def call(self, request: tuple[Any, ...], timeout: float) -> Any:
        return self.send(_request_bytes(request, timeout), timeout)

    def send(self, payload: bytes, timeout: float) -> Any:
        try:
            self.stdin.write(_HEADER.pack(len(payload)) + payload)
            self.stdin.flush()
        except OSError:
            raise _HostFailed("it stopped the sandbox host") from None
        deadline = time.monotonic() + timeout
        header = self._read(_HEADER.size, deadline, timeout)
        size = _HEADER.unpack(header)[0]
        if size > MAX_REPLY_BYTES:
            raise _HostFailed("its result is too large")
        try:
            reply = _ReplyUnpickler(io.BytesIO(self._read(size, deadline, timeout))).load()
        except (pickle.UnpicklingError, EOFError, ValueError) as exc:
            raise _HostFailed(f"its result cannot be read ({exc})") from None
        if reply[0] == "ok":
            return reply[1]
        raise _exception(*reply[1:])

    def _read(self, size: int, deadline: float, timeout: float) -> bytes:
        fd = self.stdout.fileno()
        chunks, got = [], 0
        while got < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise _HostFailed(f"it took longer than {timeout:g} s")
            chunk = os.read(fd, min(size - got, 1 << 20))
            if not chunk:
                raise _HostFailed("it stopped the sandbox host (out of memory?)")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)


class _Pool:
    """Idle hosts of this process; a caller takes one, or starts one if none is idle."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.idle: list[_Host] = []

    def take(self) -> _Host:
        with self.lock:
            while self.idle:
                host = self.idle.pop()
                if host.alive():
                    return host
                host.kill()
        return _Host()

    def give_back(self, host: _Host) -> None:
        if not host.alive():
            host.kill()
            return
        with self.lock:
            if len(self.idle) < MAX_IDLE:
                self.idle.append(host)
                return
        host.close()

    def forget(self) -> None:
        """In a forked child: the hosts belong to the parent; start afresh."""
        self.lock = threading.Lock()
        self.idle = []

    def refill(self) -> None:
        """Start a host for the next caller (after one was killed), off the caller's clock."""
        try:
            host = _Host()
        except SandboxViolation:
            return
        self.give_back(host)

    def close_all(self) -> None:
        with self.lock:
            hosts, self.idle = self.idle, []
        for host in hosts:
            host.close()


_POOL = _Pool()
os.register_at_fork(after_in_child=_POOL.forget)
atexit.register(_POOL.close_all)


def _request_bytes(request: tuple[Any, ...], timeout: float) -> bytes:
    try:
        return pickle.dumps((request[0], timeout, *request[1:]), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError) as exc:
        raise SandboxViolation(f"the case data cannot be passed to diagram code ({exc})") from None


def run_in_host(*request: Any, timeout: float | None = None) -> Any:
    """Run one request (see ``sandbox_jobs.run``) in a host; raise what it raised there, or
    SandboxViolation if it took longer than ``TIME_LIMIT`` or more memory than allowed."""
    limit = TIME_LIMIT if timeout is None else timeout
    payload = _request_bytes(request, limit)
    host = _POOL.take()
    try:
        result = host.send(payload, limit)
    except (_HostFailed, SandboxStopped) as exc:
        # Timed out, died, or retiring after running out of memory: replace it off the clock.
        host.kill()
        threading.Thread(target=_POOL.refill, name="sandbox-host-refill", daemon=True).start()
        if isinstance(exc, _HostFailed):
            raise SandboxStopped(str(exc)) from None
        raise
    except BaseException:
        _POOL.give_back(host)
        raise
    _POOL.give_back(host)
    return result
