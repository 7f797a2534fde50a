"""Real processes for the fault tests (tests/kpis/test_faults.py): a Redis server of the test's
own, Celery workers and management commands run against the test database, and plain PostgreSQL
sessions that hold locks and look at the others. Each process leads its own process group, so
that stopping it stops its children too (a prefork worker's pool)."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg
import redis
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the venv's bin: celery sits next to python
# Every session a test opens names itself so (application_name): the test finds them, and its
# clean-up ends whatever is left of them.
APP_PREFIX = "cxfaults-"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout: float, interval: float = 0.05):
    """Poll ``condition`` until it returns something true (returned) or ``timeout`` seconds pass
    (then its last value)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)


# --- PostgreSQL -------------------------------------------------------------------------------


def _db() -> dict:
    return settings.DATABASES["default"]


def database_url(application_name: str) -> str:
    """DATABASE_URL of the test database (the one pytest-django created) for another process."""
    db = _db()
    user = urllib.parse.quote(db.get("USER") or "", safe="")
    password = urllib.parse.quote(db.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host, port = db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    query = urllib.parse.urlencode({"application_name": application_name})
    return f"postgres://{auth}{host}:{port}/{urllib.parse.quote(db['NAME'])}?{query}"


def pg_session(application_name: str) -> psycopg.Connection:
    """A PostgreSQL session of its own on the test database, outside Django (autocommit)."""
    db = _db()
    return psycopg.connect(
        dbname=db["NAME"],
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        host=db.get("HOST") or "127.0.0.1",
        port=db.get("PORT") or 5432,
        application_name=application_name,
        autocommit=True,
    )


def backends(session: psycopg.Connection, application_name: str) -> list[dict]:
    """The test database's sessions named ``application_name``: pid, state, wait, query."""
    rows = session.execute(
        "SELECT pid, state, wait_event_type, wait_event, query FROM pg_stat_activity "
        "WHERE datname = current_database() AND application_name = %s",
        [application_name],
    ).fetchall()
    return [dict(zip(("pid", "state", "wait_event_type", "wait_event", "query"), r, strict=True)) for r in rows]


def advisory_locks(session: psycopg.Connection, key1: int, key2: int) -> list[tuple[int, bool]]:
    """(pid, granted) of the sessions holding or waiting for the two-key advisory lock."""
    return session.execute(
        "SELECT pid, granted FROM pg_locks WHERE locktype = 'advisory' AND database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND classid = %s AND objid = %s AND objsubid = 2 ORDER BY granted DESC, pid",
        [key1, key2],
    ).fetchall()


def end_test_sessions() -> None:
    """Terminate the sessions the test's processes left (a process killed while its session was
    waiting): the test database is emptied, then dropped, after the test."""
    with contextlib.suppress(psycopg.Error), pg_session(f"{APP_PREFIX}cleanup") as session:
        session.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name LIKE %s AND pid <> pg_backend_pid()",
            [APP_PREFIX + "%"],
        )


# --- processes --------------------------------------------------------------------------------


class Process:
    """A subprocess leading its own process group, its output in a file."""

    def __init__(self, args: list[str], *, env: dict, log: Path):
        self.args, self.log = args, log
        self._out = log.open("ab")
        self.popen = subprocess.Popen(
            args,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        self._out.flush()
        return self.log.read_text(errors="replace")

    def signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def group_alive(self) -> bool:
        try:
            os.killpg(self.pid, 0)
        except ProcessLookupError:
            return False
        return True

    def kill(self) -> None:
        """SIGKILL to the whole group, and reap the leader."""
        self.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=10)
        wait_for(lambda: not self.group_alive(), timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the group, SIGKILL if it is still there after ``timeout``."""
        if self.group_alive():
            self.signal_group(signal.SIGTERM)
            wait_for(lambda: self.popen.poll() is not None and not self.group_alive(), timeout=timeout)
        self.kill()
        self._out.close()

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout=timeout)

    def children(self) -> list[int]:
        """The pids of the leader's children (a prefork worker's pool processes)."""
        pids = []
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{self.pid}/task").iterdir():
                pids += [int(p) for p in (task / "children").read_text().split()]
        return pids


class Processes:
    """The processes a test starts; ``stop_all`` (in the fixture's finally) stops every group."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.started: list[Process] = []

    def start(self, name: str, args: list[str], *, env: dict) -> Process:
        process = Process(args, env=env, log=self.tmp_path / f"{name}-{len(self.started)}.log")
        self.started.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.started):
            with contextlib.suppress(Exception):
                process.stop(timeout=5)


def subprocess_env(*, application_name: str, redis_url: str | None = None, **extra) -> dict:
    """The environment of a project process on the test database (and this Redis, if any)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CELERY_"))}
    env.update(
        DATABASE_URL=database_url(application_name),
        DJANGO_SETTINGS_MODULE="cxtracker.settings",
        PYTHONUNBUFFERED="1",
        **{k: str(v) for k, v in extra.items()},
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    else:
        env.pop("REDIS_URL", None)
    return env


class RedisServer:
    """``redis-server`` on a port of its own, nothing persisted: stopped and started at will."""

    def __init__(self, processes: Processes, port: int | None = None):
        self.processes, self.port = processes, port or free_port()
        self.process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        try:
            return bool(redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5).ping())
        except redis.exceptions.RedisError:
            return False

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = self.processes.start("redis", args, env=dict(os.environ))
        if not wait_for(self.ping, timeout=10):
            raise RuntimeError(f"redis-server did not start on {self.port}:\n{self.process.output()}")

    def stop(self) -> None:
        """Terminate the server (SIGTERM, as a service manager stops it) and wait until the port
        refuses connections."""
        assert self.process is not None
        self.process.popen.terminate()
        self.process.popen.wait(timeout=10)
        if self.ping():
            raise RuntimeError("Redis still answers after it was stopped")


def celery_worker(processes: Processes, *, name: str, env: dict, timeout: float = 60.0) -> Process:
    """A real Celery worker (prefork pool, one child), started as in production, once ready."""
    args = [str(BIN / "celery"), "-A", "cxtracker", "worker", "--pool", "prefork", "-c", "1", "-l", "INFO"]
    worker = processes.start(name, [*args, "-n", f"{name}@%h"], env=env)
    ready = wait_for(lambda: " ready." in worker.output() or not worker.alive(), timeout=timeout, interval=0.1)
    if not ready or not worker.alive():
        raise RuntimeError(f"The Celery worker did not start:\n{worker.output()}")
    return worker


def manage(processes: Processes, name: str, *args: str, env: dict) -> Process:
    """``python manage.py ARGS`` in a process of its own."""
    return processes.start(name, [sys.executable, str(ROOT / "manage.py"), *args], env=env)
