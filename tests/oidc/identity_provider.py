"""Starts the real OpenID provider (``provider.mjs``, panva's oidc-provider under the machine's
Node.js) for a test session, and stops it afterwards."""

from __future__ import annotations

import json
import os
import selectors
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SCRIPT = HERE / "provider.mjs"
START_SECONDS = 120.0  # a loaded CI machine (load 10+ on 2 cores) took over 30 s to start node


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def node_or_skip() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed: the test identity provider needs it")
    if not (ROOT / "node_modules" / "oidc-provider").is_dir():
        pytest.skip("the npm package oidc-provider is not installed: run `make install`")
    return node


@contextmanager
def identity_provider(*, clients: list[dict[str, Any]],
                      users: dict[str, dict[str, Any]]) -> Iterator[str]:
    """Run the provider until the block ends; yields its issuer URL."""
    node = node_or_skip()
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    config = {"issuer": issuer, "port": port, "clients": clients, "users": users}
    env = {**os.environ, "OIDC_TEST_CONFIG": json.dumps(config), "NODE_NO_WARNINGS": "1"}
    process = subprocess.Popen([node, str(SCRIPT)], cwd=ROOT, env=env,  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_ready(process)
        # Keep reading its output, so that a full pipe never stalls the provider.
        threading.Thread(target=process.stdout.read, daemon=True).start()  # type: ignore[union-attr]
        yield issuer
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    seen: list[str] = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if not selector.select(timeout=deadline - time.monotonic()):
                break
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            if line.startswith("ready "):
                return
    process.kill()
    raise RuntimeError("the test identity provider did not start:\n" + "".join(seen))
