"""The locust users of ``bench/dashboard.py`` (run by it: ``locust -f bench/locust_dashboard.py --headless``).

Each user logs in through the login form (CSRF token, django-axes and all), then makes
``BENCH_ROUNDS`` rounds (0: no limit); a round requests every page of ``BENCH_REQUESTS`` once, in an
order of its own (so that the two gunicorn workers meet every mix). A user also stops, after its
round, once the file ``BENCH_STOP_FILE`` exists (the script's ``--writes`` run stops the readers
so, when its writes are measured). The rounds begin once every user has logged in: a log-in (a
password hash) is not a page, and the pages do not wait behind one. When the last user is done,
locust stops.
Every request's time is written to ``BENCH_OUT`` (JSON: name → list of [milliseconds, status, end time]):
the script computes exact percentiles from them, not locust's rounded ones.

Configuration, from the environment (the script sets it): ``BENCH_EMAIL``, ``BENCH_PASSWORD``,
``BENCH_REQUESTS`` (JSON list of [name, path, headers]), ``BENCH_ROUNDS``, ``BENCH_OUT``, and
optionally ``BENCH_STOP_FILE``.
"""

import json
import os
import random
import threading
import time
from collections import defaultdict

import gevent
from locust import HttpUser, events, task
from locust.exception import StopUser

REQUESTS = json.loads(os.environ.get("BENCH_REQUESTS", "[]"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "10"))
STOP_FILE = os.environ.get("BENCH_STOP_FILE")
TIMES: dict = defaultdict(list)
_lock = threading.Lock()
_remaining = {"users": None}
_logged_in = {"users": 0}


@events.request.add_listener
def _record(request_type, name, response_time, response_length, response=None, exception=None, **kwargs):
    status = getattr(response, "status_code", None) if exception is None else f"error: {exception}"
    # When it ended (seconds since the epoch), to see a run's course afterwards.
    TIMES[name].append([response_time, status, round(time.time(), 3)])


@events.test_start.add_listener
def _start(environment, **kwargs):
    _remaining["users"] = environment.parsed_options.num_users if environment.parsed_options else None


@events.quitting.add_listener
def _write(environment, **kwargs):
    path = os.environ.get("BENCH_OUT")
    if path:
        with open(path, "w") as out:
            json.dump(TIMES, out)


class Executive(HttpUser):
    # No pause between requests: the users keep both workers busy.
    wait_time = staticmethod(lambda: 0)

    def on_start(self):
        self.rounds = 0
        self.rng = random.Random(id(self))
        # The login form: its CSRF cookie and token, then the POST (not timed as a page).
        page = self.client.get("/accounts/login/", name="login form")
        token = self.client.cookies.get("csrftoken") or ""
        answer = self.client.post(
            "/accounts/login/",
            data={
                "username": os.environ["BENCH_EMAIL"],
                "password": os.environ["BENCH_PASSWORD"],
                "csrfmiddlewaretoken": token,
            },
            headers={"Referer": page.url},
            name="login",
            allow_redirects=False,
        )
        if answer.status_code != 302 or "sessionid" not in self.client.cookies:
            raise RuntimeError(f"log-in failed: {answer.status_code}")
        with _lock:
            _logged_in["users"] += 1
        # The first round waits for the other users' log-ins.
        while _remaining["users"] is not None and _logged_in["users"] < self.environment.parsed_options.num_users:
            gevent.sleep(0.05)

    @task
    def round(self):
        if (ROUNDS and self.rounds >= ROUNDS) or (STOP_FILE and os.path.exists(STOP_FILE)):
            self._done()
        order = list(REQUESTS)
        self.rng.shuffle(order)
        for name, path, headers in order:
            with self.client.get(path, name=name, headers=headers, catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"HTTP {response.status_code}")
        self.rounds += 1

    def _done(self):
        with _lock:
            if _remaining["users"] is not None:
                _remaining["users"] -= 1
                if _remaining["users"] <= 0:
                    # The last user: stop the whole run (the script bounds it by time as well).
                    self.environment.runner.quit()
        raise StopUser()
