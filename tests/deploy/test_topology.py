"""The production topology on loopback (bin/topology): nginx with TLS in front of two gunicorn
web processes, two Celery workers and one beat, on a fresh PostgreSQL database and Redis.

A case runs through HTTPS while each kind of process is killed once (kill -9): a gunicorn
worker, a whole gunicorn master, a Celery worker, the beat and nginx. After each, it checks
that requests are still served (or are again), that due timers still fire (once), and at the
end that the case went on, no step is missing and every logged request is in the access log,
whose hash chain holds. The time each recovery took is printed and kept in recovery.json.

Takes two to three minutes: run by ``make topology-test`` (and CI), skipped otherwise.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = "postgres://postgres@127.0.0.1:5432"
BROKER = "redis://127.0.0.1:6379/13"


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _free_port(span: int = 1) -> int:
    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port + span < 65535 and not any(_listening(port + i) for i in range(span + 1)):
            return port
    raise RuntimeError("no free port")


def _missing() -> str:
    if not os.environ.get("TOPOLOGY_TEST"):
        return "run by `make topology-test` (TOPOLOGY_TEST=1)"
    if not (shutil.which("nginx") or Path("/usr/sbin/nginx").exists()):
        return "needs nginx (apt-get install nginx)"
    if not shutil.which("openssl") or not (Path(sys.executable).parent / "gunicorn").exists():
        return "needs openssl and gunicorn"
    if not (_listening(5432) and _listening(6379)):
        return "needs PostgreSQL on 5432 and Redis on 6379"
    return ""


pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(_missing()), reason=_missing() or "-")]


class Topology:
    def __init__(self, base: Path) -> None:
        self.dir = base / "topology"
        self.database = f"dw_topology_{uuid.uuid4().hex[:8]}"
        self.https = _free_port(1)
        self.env = {**os.environ, "TOPOLOGY_DIR": str(self.dir),
                    "TOPOLOGY_DATABASE_URL": f"{SERVER}/{self.database}",
                    "TOPOLOGY_BROKER_URL": BROKER, "TOPOLOGY_HTTPS_PORT": str(self.https),
                    "TOPOLOGY_WEB_PORT": str(_free_port(1)), "CELERY_LOG_LEVEL": "INFO"}
        self.url = f"https://localhost:{self.https}"

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "bin/topology", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=timeout, check=False)

    def world(self, *args: str) -> object:
        env = {**self.env, "DATABASE_URL": self.env["TOPOLOGY_DATABASE_URL"],
               "DJANGO_SETTINGS_MODULE": "webapp.settings"}
        done = subprocess.run([sys.executable, "-m", "tests.deploy.topology_world", *args],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                              check=True)
        return json.loads(done.stdout)

    def pids(self) -> dict[str, dict[str, int]]:
        return json.loads((self.dir / "pids.json").read_text())

    def log_count(self, name: str, text: str) -> int:
        return (self.dir / "logs" / f"{name}.log").read_text(errors="replace").count(text)


@pytest.fixture(scope="module")
def topology(tmp_path_factory):
    top = Topology(tmp_path_factory.mktemp("deploy"))
    try:
        started = top.run("up")
        assert started.returncode == 0, started.stderr[-3000:]
        yield top
    finally:
        top.run("down", timeout=120)
        import psycopg

        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{top.database}" WITH (FORCE)')


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return set()
    return {int(p) for p in text.split()}


def _until(predicate, timeout: float, what: str) -> float:
    """Seconds until ``predicate()`` is true; fails after ``timeout``."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if predicate():
            return time.monotonic() - began
        time.sleep(0.1)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


class Client:
    """HTTPS through nginx, verifying the self-signed certificate; remembers the request id of
    every answer that must be in the access log."""

    def __init__(self, top: Topology, tokens: dict[str, str]) -> None:
        import requests

        self.top, self.tokens = top, tokens
        self.session = requests.Session()
        self.session.trust_env = False  # REQUESTS_CA_BUNDLE would override verify
        self.session.verify = str(top.dir / "tls" / "cert.pem")
        self.logged: list[tuple[str, str]] = []  # (call, request id) that must be logged

    def call(self, method: str, path: str, role: str, *, logged: bool = True, **kwargs):
        response = self.session.request(
            method, f"{self.top.url}{path}", timeout=30,
            headers={"Authorization": f"Bearer {self.tokens[role]}"}, **kwargs)
        if logged and response.status_code in (200, 201):
            self.logged.append((f"{method} {path}", response.headers["X-Request-ID"]))
        return response

    def view(self, reference: str) -> int:
        return self.call("GET", f"/api/v1/cases/{reference}", "case_officer").status_code

    def advance(self, reference: str) -> str:
        """Claim and complete the case's first open task, as the role it belongs to."""
        for role in self.tokens:
            listed = self.call("GET", f"/api/v1/tasks?caseReference={reference}", role,
                               logged=False)
            ready = [t for t in listed.json()["results"]
                     if t["state"] == "ready" and t["role"] == role]
            if ready:
                task = ready[0]
                break
        else:
            raise AssertionError(f"no open task on {reference}")
        from tests import factories

        claimed = self.call("POST", f"/api/v1/tasks/{task['id']}/claim", role, logged=False)
        assert claimed.status_code == 200, claimed.text
        sample = factories.sample(task["bpmn_id"].removeprefix("ut_"))
        done = self.call("POST", f"/api/v1/tasks/{task['id']}/complete", role,
                         json={"data": sample})
        assert done.status_code == 200, done.text
        return task["bpmn_id"]


def _fired(top: Topology, reference: str) -> bool:
    import psycopg

    with psycopg.connect(top.env["TOPOLOGY_DATABASE_URL"]) as conn:
        return conn.execute(
            "SELECT count(*) FROM cases_caseevent e JOIN cases_case c ON c.id = e.case_id "
            "WHERE c.reference = %s AND e.kind = 'timer'", [reference]).fetchone()[0] > 0


def test_a_case_runs_through_the_topology_while_each_kind_of_process_is_killed(topology):
    top = topology
    client = Client(top, top.world("tokens"))
    recovery: dict[str, float] = {}
    assert client.session.get(f"{top.url}/readyz").json()["status"] == "ready"
    # plain HTTP is sent to HTTPS
    http = client.session.get(f"http://localhost:{top.https + 1}/login/", allow_redirects=False)
    assert http.status_code == 301 and http.headers["Location"].startswith("https://")

    from tests import factories

    created = client.call("POST", "/api/v1/enquiries", "contact_handler",
                          json={"scheme": "csods", "data": factories.sample("enquiry")})
    assert created.status_code == 201, created.text
    reference = created.json()["reference"]
    steps = [client.advance(reference)]

    # 1. a gunicorn worker: its master starts another; nginx keeps answering meanwhile
    master = top.pids()["web.1"]["pid"]
    before = _children(master)
    os.kill(min(before), signal.SIGKILL)
    answers = []

    def respawned() -> bool:
        answers.append(client.view(reference))  # served all the while
        return len(_children(master) - {min(before)}) == len(before)
    recovery["gunicorn worker"] = _until(respawned, 60, "gunicorn worker respawned")
    assert set(answers) == {200}, answers

    # 2. a whole gunicorn master (web.2): the other serves; it is started again
    port2 = int(top.env["TOPOLOGY_WEB_PORT"]) + 1
    os.kill(top.pids()["web.2"]["pid"], signal.SIGKILL)
    killed = time.monotonic()
    answers = [client.view(reference) for _ in range(10)]
    assert set(answers) == {200}, answers
    _until(lambda: top.pids()["web.2"]["restarts"] == 1 and _listening(port2), 60, "web.2 back")
    recovery["gunicorn master"] = time.monotonic() - killed
    steps.append(client.advance(reference))

    # 3. a Celery worker: the other goes on firing due timers; it is started again
    ready_lines = top.log_count("worker.1", " ready.")
    os.kill(top.pids()["worker.1"]["pid"], signal.SIGKILL)
    killed = time.monotonic()
    (due_1,) = top.world("due", "1")  # falls due while worker.1 is down or starting
    made = time.monotonic()
    _until(lambda: top.log_count("worker.1", " ready.") > ready_lines, 90, "worker.1 back")
    recovery["celery worker: killed to ready again"] = time.monotonic() - killed
    _until(lambda: _fired(top, due_1), 90, "timer fired")
    recovery["celery worker: due timer fired after"] = time.monotonic() - made

    # 4. the beat: started again, the sweep resumes and fires what fell due meanwhile
    beat_starts = top.log_count("beat.1", "beat: Starting")
    os.kill(top.pids()["beat.1"]["pid"], signal.SIGKILL)
    killed = time.monotonic()
    (due_2,) = top.world("due", "1")  # falls due while no beat is running
    made = time.monotonic()
    _until(lambda: top.log_count("beat.1", "beat: Starting") > beat_starts, 90, "beat back")
    recovery["beat: killed to started again"] = time.monotonic() - killed
    _until(lambda: _fired(top, due_2), 90, "timer fired after the beat was killed")
    recovery["beat: due timer fired after"] = time.monotonic() - made
    steps.append(client.advance(reference))

    # 5. nginx (master and worker): refused while down, then served again
    nginx = top.pids()["nginx"]["pid"]
    os.killpg(nginx, signal.SIGKILL)
    killed = time.monotonic()

    def served() -> bool:
        try:
            return client.view(reference) == 200
        except OSError:
            return False
    _until(served, 60, "nginx back")
    recovery["nginx"] = time.monotonic() - killed
    steps.append(client.advance(reference))

    # nothing lost: every step, one firing per timer, every logged request, an intact chain
    report = top.world("report", reference, due_1, due_2)
    assert report[reference]["status"] == "open"
    assert sorted(report[reference]["completed"]) == sorted(steps)
    assert report[reference]["open"], "the case waits for its next step"
    for due in (due_1, due_2):
        assert len(report[due]["timer_events"]) == 1, report[due]
    missing = [call for call, request_id in client.logged
               if request_id not in set(report["request_ids"])]
    assert not missing, f"{len(missing)} of {len(client.logged)} not in the access log: {missing}"
    verified = top.run("manage", "audit_verify", timeout=120)  # the topology's own settings
    assert verified.returncode == 0 and "intact" in verified.stdout, verified.stdout
    restarts = {name: p["restarts"] for name, p in top.pids().items()}
    assert restarts == {"web.1": 0, "web.2": 1, "worker.1": 1, "worker.2": 0, "beat.1": 1,
                        "nginx": 1}
    assert client.session.get(f"{top.url}/readyz").json()["status"] == "ready"
    # scaling out: both web processes served the case, both workers ran sweeps, one database
    for web in ("web.1", "web.2"):
        assert top.log_count(web, "/api/v1/") > 0, f"{web} served nothing"
    for worker in ("worker.1", "worker.2"):
        assert top.log_count(worker, "cases.sweep_timers") > 0, f"{worker} did no work"

    figures = {name: round(seconds, 1) for name, seconds in recovery.items()}
    (top.dir / "recovery.json").write_text(json.dumps(figures, indent=1))
    print(json.dumps({"recovery_seconds": figures, "steps": steps,
                      "logged_requests": len(client.logged)}))
