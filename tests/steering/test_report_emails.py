"""The steering reports' scheduled e-mails: each stakeholder's users get the report of the period
just closed once, whatever runs twice (the beat job, two workers at once); in their language,
with the PDF; a failed send is retried, shown to admins and sent again by them."""

import threading
from collections import Counter

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connections
from django.urls import reverse

from cxtracker.celery import app as celery_app
from cxtracker.months import Month
from cxtracker.tenancy.models import UserProfile
from steering.models import DeliveryStatus, ReportDelivery
from steering.reports.emails import MAX_ATTEMPTS, ReportSendError
from steering.tasks import report_email_send_task, report_emails_due_task
from tests.factories import make_membership, make_user
from tests.steering import report_data


class FailingBackend(BaseEmailBackend):
    """An SMTP server that refuses everything."""

    def send_messages(self, email_messages):
        raise ConnectionRefusedError("SMTP server unreachable")


@pytest.fixture
def eager_tasks():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def _world():
    w = report_data.build()
    UserProfile.objects.create(user=w["steering_a"], language="en")
    w["c"].users.set([w["executive"]])
    w["last"] = str(Month.of(w["org"].today()).previous())
    return w


def _sent_to() -> Counter:
    return Counter(address for message in mail.outbox for address in message.to)


EXPECTED = {"steering_a@acme.example.com": 1, "steering_b@acme.example.com": 1, "executive@acme.example.com": 1}


@pytest.mark.django_db
def test_the_beat_job_run_twice_sends_each_email_once(eager_tasks):
    w = _world()
    report_emails_due_task()
    report_emails_due_task()
    # The manager named in Beta has no reports, hence no e-mail; Whole has no user.
    assert _sent_to() == EXPECTED
    deliveries = ReportDelivery.objects.for_org(w["org"])
    assert sorted(deliveries.values_list("stakeholder__code", "period", "user__email", "status", "attempts")) == [
        ("sh-a", w["last"], "steering_a@acme.example.com", "sent", 1),
        ("sh-b", w["last"], "steering_b@acme.example.com", "sent", 1),
        ("sh-c", w["last"], "executive@acme.example.com", "sent", 1),
    ]
    message = next(m for m in mail.outbox if m.to == ["steering_b@acme.example.com"])
    (name, content, mimetype) = message.attachments[0]
    assert (name, mimetype) == (f"report-sh-b-{w['last']}.pdf", "application/pdf")
    assert content[:5] == b"%PDF-"
    html, html_type = message.alternatives[0]
    assert html_type == "text/html" and "Beta" in html


@pytest.mark.django_db
def test_each_user_gets_it_in_their_language(eager_tasks):
    w = _world()
    report_emails_due_task()
    last = Month.parse(w["last"])
    english = {1: "January", 2: "February", 3: "March", 4: "April", 5: "May", 6: "June", 7: "July"}
    english |= {8: "August", 9: "September", 10: "October", 11: "November", 12: "December"}
    french = {1: "janvier", 2: "février", 3: "mars", 4: "avril", 5: "mai", 6: "juin", 7: "juillet"}
    french |= {8: "août", 9: "septembre", 10: "octobre", 11: "novembre", 12: "décembre"}
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    # Their profile says English; the others have none: the organization's French.
    assert f"{english[last.month]} {last.year}" in subjects["steering_a@acme.example.com"]
    assert f"{french[last.month]} {last.year}" in subjects["steering_b@acme.example.com"]
    languages = dict(ReportDelivery.objects.values_list("user__email", "language"))
    assert languages["steering_a@acme.example.com"] == "en"
    assert languages["steering_b@acme.example.com"] == "fr"


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_email_once():
    w = _world()
    many = [w["steering_b"], w["executive"], w["admin"]]
    for i in range(3):
        user = make_user(f"steering{i}@acme.example.com")
        make_membership(user, w["org"], "steering")
        many.append(user)
    w["b"].users.set(many)
    start = threading.Barrier(2)
    errors = []

    def worker():
        try:
            start.wait(timeout=30)
            report_email_send_task(w["org"].pk, w["b"].pk, w["last"])
        except Exception as exc:  # collected, asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert _sent_to() == Counter({u.email: 1 for u in many})
    assert set(ReportDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert set(ReportDelivery.objects.values_list("attempts", flat=True)) == {1}
    # And the same task once more, later: nothing more.
    report_email_send_task(w["org"].pk, w["b"].pk, w["last"])
    assert len(mail.outbox) == len(many)


@pytest.mark.django_db
def test_a_failed_send_is_retried_shown_to_admins_and_sent_again_once(
    client, settings, eager_tasks, django_capture_on_commit_callbacks
):
    w = _world()
    settings.EMAIL_BACKEND = "tests.steering.test_report_emails.FailingBackend"
    # The first send, then each retry as the worker runs it (eager here: Celery hands back the
    # Retry, with its countdown, instead of waiting it out).
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with pytest.raises((Retry, ReportSendError)):
            report_email_send_task.delay(w["org"].pk, w["a"].pk, w["last"])
        assert ReportDelivery.objects.get(stakeholder=w["a"]).attempts == attempt
    delivery = ReportDelivery.objects.get(stakeholder=w["a"])
    # Then it waits for an admin.
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, MAX_ATTEMPTS)
    assert "SMTP server unreachable" in delivery.error
    # The beat does not send it again by itself.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    report_email_send_task(w["org"].pk, w["a"].pk, w["last"])
    assert mail.outbox == []

    client.force_login(w["admin"])
    page = client.get(reverse("steering:deliveries", kwargs={"org": "acme", "code": "sh-a"}))
    assert page.status_code == 200
    body = page.content.decode()
    assert "steering_a@acme.example.com" in body and "SMTP server unreachable" in body
    resend = reverse("steering:delivery-resend", kwargs={"org": "acme", "code": "sh-a", "pk": delivery.pk})
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(resend).status_code == 302
    assert _sent_to() == {"steering_a@acme.example.com": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    # A second click finds nothing failed: 404, nothing sent.
    assert client.post(resend).status_code == 404
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_only_admins_see_the_deliveries(client):
    w = _world()
    url = reverse("steering:deliveries", kwargs={"org": "acme", "code": "sh-a"})
    client.force_login(w["executive"])
    assert client.get(url).status_code == 403
    client.force_login(w["steering_a"])
    assert client.get(url).status_code == 403
