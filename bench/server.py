"""gunicorn serving cxtracker on a free loopback port for the length of a benchmark, shared by the
benchmark scripts (run from bench/, which is on their path)."""

import os
import signal
import socket
import subprocess
import sys
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """Started with ``options`` (after the WSGI application and the bind address), in ``cwd``, with
    ``env`` added to the environment; ready when ``ready(url)`` is true, within ``wait`` seconds."""

    def __init__(self, options: list[str], *, cwd, env: dict, ready, wait: int):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "gunicorn", "cxtracker.wsgi:application", f"--bind=127.0.0.1:{self.port}"]
        self.process = subprocess.Popen(
            [*command, *options], cwd=cwd, env={**os.environ, **env}, start_new_session=True
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit("gunicorn exited at start-up")
            try:
                if ready(self.url):
                    return
            except OSError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"gunicorn did not start within {wait} s")

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
