"""Fixtures: a real Portcullis server (the debug binary) on SQLite and on a fresh PostgreSQL
database, and the official authentik client configured with the bootstrap admin's token.

Environment:
- PORTCULLIS_BIN: the server binary (default <repo>/target/debug/portcullis)
- PORTCULLIS_COMPAT_PG: "host:port" of PostgreSQL (default: the host of PORTCULLIS_TEST_PG_URL, else
  127.0.0.1:5432; user postgres,
  trust auth); PORTCULLIS_COMPAT_DBS: comma list of backends to run (default "sqlite,postgres")
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

import authentik_client

REPO = Path(__file__).resolve().parent.parent
TOKEN = "compat-bootstrap-token-" + "0123456789abcdef"
PASSWORD = "compat-bootstrap-password"
ADMIN = "akadmin"

BIN = Path(os.environ.get("PORTCULLIS_BIN", REPO / "target" / "debug" / "portcullis"))
# Same server as the Rust suite: PORTCULLIS_TEST_PG_URL (postgres://postgres@host:port/db).
_pg_url = os.environ.get("PORTCULLIS_TEST_PG_URL", "")
_pg_default = _pg_url.split("@", 1)[1].split("/", 1)[0] if "@" in _pg_url else "127.0.0.1:5432"
PG_HOST, _, PG_PORT = os.environ.get("PORTCULLIS_COMPAT_PG", _pg_default).partition(":")
PG_PORT = PG_PORT or "5432"
DBS = [d.strip() for d in os.environ.get("PORTCULLIS_COMPAT_DBS", "sqlite,postgres").split(",") if d.strip()]
if not DBS or set(DBS) - {"sqlite", "postgres"}:
    # An empty or misspelt list would parametrize every test away and "pass" without running one.
    raise pytest.UsageError(f"PORTCULLIS_COMPAT_DBS must list sqlite and/or postgres, got {os.environ.get('PORTCULLIS_COMPAT_DBS')!r}")


_outcomes = {"passed": 0}


def pytest_runtest_logreport(report):
    if report.when == "call" and report.passed:
        _outcomes["passed"] += 1


def pytest_sessionfinish(session, exitstatus):
    """A run in which no test passed (nothing collected, everything skipped or deselected) fails:
    the suite must never report success without having checked anything."""
    if exitstatus == 0 and _outcomes["passed"] == 0:
        print("\ncompat: no test ran", file=sys.stderr)
        session.exitstatus = 5


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(sql: str) -> None:
    subprocess.run(
        ["psql", "-h", PG_HOST, "-p", PG_PORT, "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qc", sql],
        check=True,
        capture_output=True,
        text=True,
    )


@dataclass
class Server:
    base: str  # http://127.0.0.1:<port>
    db: str
    token: str

    @property
    def api(self) -> str:
        return self.base + "/api/v3"

    def raw(self, method: str, path: str, json=None, token: str | None = None, **kw) -> requests.Response:
        """A raw HTTP request to /api/v3<path> with the admin token (or `token`)."""
        headers = {"Authorization": f"Bearer {token if token is not None else self.token}"}
        return requests.request(method, self.api + path, json=json, headers=headers, timeout=30, **kw)


def start_server(db: str, tmp: Path) -> tuple[subprocess.Popen, Server, str | None]:
    if not BIN.exists():
        pytest.exit(f"server binary {BIN} not found: build it with `cargo build -p portcullis --bin portcullis`", 2)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AUTHENTIK_", "PORTCULLIS_"))}
    env.update(
        {
            "AUTHENTIK_LISTEN__HTTP": f"127.0.0.1:{port}",
            "PORTCULLIS_DATA_DIR": str(tmp / "data"),
            "AUTHENTIK_BOOTSTRAP_TOKEN": TOKEN,
            "AUTHENTIK_BOOTSTRAP_PASSWORD": PASSWORD,
            "PORTCULLIS_LOG": "warn",
            # No outbound HTTP for the built-in OIDC discovery of azuread/github/gitlab/google
            # sources (docs/compatibility.md, "Sources"): the suite needs no network.
            "PORTCULLIS_OIDC_DEFAULT_DISCOVERY": "false",
        }
    )
    pg_name = None
    if db == "postgres":
        pg_name = f"pc_compat_{secrets.token_hex(6)}"
        psql(f"CREATE DATABASE {pg_name}")
        env.update(
            {
                "AUTHENTIK_POSTGRESQL__HOST": PG_HOST,
                "AUTHENTIK_POSTGRESQL__PORT": PG_PORT,
                "AUTHENTIK_POSTGRESQL__NAME": pg_name,
                "AUTHENTIK_POSTGRESQL__USER": "postgres",
                "AUTHENTIK_SECRET_KEY": secrets.token_hex(32),
            }
        )
    log = open(tmp / "server.log", "wb")
    proc = subprocess.Popen([str(BIN)], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{(tmp / 'server.log').read_text(errors='replace')}")
        try:
            # Ready, and really ours (another process may have taken the port in between):
            # only our server knows our bootstrap token.
            if (
                requests.get(base + "/-/health/ready/", timeout=2).status_code == 204
                and requests.get(base + "/api/v3/core/users/me/", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).status_code == 200
                and proc.poll() is None
            ):
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"server not ready after 60 s:\n{(tmp / 'server.log').read_text(errors='replace')}")
        time.sleep(0.05)
    return proc, Server(base=base, db=db, token=TOKEN), pg_name


def stop_server(proc: subprocess.Popen, pg_name: str | None, log: Path | None = None) -> None:
    if proc.poll() is not None and log is not None:
        # The server died during the tests: show why.
        tail = log.read_text(errors="replace")[-8000:]
        print(f"\n--- server exited with {proc.returncode}; end of its log:\n{tail}", file=sys.stderr)
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if pg_name:
        try:
            psql(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
        except subprocess.CalledProcessError:
            pass


@pytest.fixture(scope="module", params=DBS)
def server(request):
    """A fresh server per test module and database backend."""
    tmp = Path(tempfile.mkdtemp(prefix="portcullis-compat-"))
    proc, srv, pg_name = start_server(request.param, tmp)
    try:
        yield srv
    finally:
        stop_server(proc, pg_name, tmp / "server.log")
        shutil.rmtree(tmp, ignore_errors=True)


def make_client(srv: Server, token: str) -> authentik_client.ApiClient:
    cfg = authentik_client.Configuration(host=srv.api, api_key={"authentik": token}, api_key_prefix={"authentik": "Bearer"})
    return authentik_client.ApiClient(cfg)


@pytest.fixture(scope="module")
def client(server):
    with make_client(server, server.token) as c:
        yield c


@pytest.fixture
def uniq() -> str:
    """A short unique prefix for the names a test creates (tests share a server per module)."""
    return "c" + uuid.uuid4().hex[:10]
