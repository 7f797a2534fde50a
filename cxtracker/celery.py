import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxtracker.settings")

app = Celery("cxtracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The engine is a package inside the kpis app: its tasks module is not found by the app name.
app.autodiscover_tasks(["kpis.engine"])

# The one beat schedule of the project; each entry says why it runs when it does.
app.conf.beat_schedule = {
    # Recompute the organizations whose marks have fallen due (the debounce after a write is
    # over): every minute, so that figures are at most the debounce plus a minute old, whatever
    # happened to an earlier task (lost, its worker killed, the broker down meanwhile).
    "recompute-due-every-minute": {
        "task": "kpis.engine.tasks.recompute_due_task",
        "schedule": 60.0,
    },
    # Every mark left behind, due or not, and the month that has just begun: nightly, when
    # nobody reads the dashboards.
    "recompute-dirty-nightly": {
        "task": "kpis.engine.tasks.recompute_dirty_task",
        "schedule": crontab(hour=2, minute=30),
    },
    # The steering reports' e-mails: every morning, after the nightly recomputation, so that a
    # period that closed at midnight goes out with its last day counted; weekly, monthly and
    # quarterly reports all go out the first morning after their period. The sent log, not the
    # date, decides what is due: a morning the beat missed is caught up the next one.
    "report-emails-daily": {
        "task": "steering.tasks.report_emails_due_task",
        "schedule": crontab(hour=5, minute=0),
    },
}


@app.task(bind=True)
def ping(self):
    """A task with no side effect, used by CI and the health check to prove a worker answers."""
    return "pong"
