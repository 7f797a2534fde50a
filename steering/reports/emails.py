"""Writes of the steering app: its reports' scheduled e-mails.

Each stakeholder's users receive its report at its frequency, for the period just closed, as an
HTML e-mail with the PDF attached, in their language (their profile's, else the organization's).
Never twice for the same (stakeholder, period, user): ``ReportDelivery`` is one row per triple
(a unique constraint), and a sender **claims** the row before sending, with one conditional
UPDATE (pending or failed → sending) that only one sender can win. A retried task, the same task
queued twice, or two workers at once therefore send nothing more; what they lose is at most an
e-mail whose sender died between the claim and the send, which stays "sending" for an admin to see
rather than risk a second copy. A failed send is marked failed with its error, retried by the task
(Celery, with backoff) up to ``MAX_ATTEMPTS``, and listed for admins, who may send it again.

Recipients are the stakeholder's users who may read its report (steering.selectors): its
steering members, admins and executives; a manager named in a stakeholder has no reports.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cxtracker.queue import enqueue
from cxtracker.tenancy.access import READ_ALL_ROLES, access_or_404
from cxtracker.tenancy.models import Membership, Organization, UserProfile
from cxtracker.typography import colon
from kpis.engine.readers import Reader
from steering.models import DeliveryStatus, ReportDelivery, Stakeholder
from steering.reports.build import report_build
from steering.reports.periods import is_closed, last_closed_period
from steering.reports.text import hidden_label

from . import exports

logger = logging.getLogger(__name__)

# Sends of one e-mail before it waits for an admin: the first and the task's retries.
MAX_ATTEMPTS = 5
CLAIMABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class ReportSendError(Exception):
    """Some e-mails of a report could not be sent: the task retries them."""


def report_recipients(*, org: Organization, stakeholder: Stakeholder) -> list:
    """The stakeholder's users who read its report and have an address, by e-mail."""
    user_ids = set(stakeholder.users.values_list("pk", flat=True))
    memberships = (
        Membership.objects.for_org(org)
        .filter(user_id__in=user_ids, role__in=READ_ALL_ROLES)
        .select_related("user")
        .order_by("user__email", "user_id")
    )
    return [m.user for m in memberships if m.user.email and m.user.is_active]


def user_languages(*, org: Organization, users) -> dict[int, str]:
    """user id → the language of their e-mails: their profile's, else the organization's."""
    chosen = dict(
        UserProfile.objects.filter(user__in=list(users)).exclude(language="").values_list("user_id", "language")
    )
    return {u.pk: chosen.get(u.pk) or org.language for u in users}


def _claim(delivery: ReportDelivery) -> bool:
    """Take the e-mail for sending; False when another sender has it, or had it sent."""
    claimed = ReportDelivery.objects.filter(pk=delivery.pk, status__in=CLAIMABLE, attempts__lt=MAX_ATTEMPTS).update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now(), attempts=F("attempts") + 1, error=""
    )
    return claimed == 1


def _message(*, org, report, pdf: bytes, delivery: ReportDelivery) -> EmailMultiAlternatives:
    context = {"report": report, "org": org, "hidden": hidden_label(org), "colon": colon()}
    subject = _("%(stakeholder)s: your report for %(period)s") % {
        "stakeholder": report.stakeholder.name,
        "period": report.period_label,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("steering/reports/email.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.email],
    )
    message.attach_alternative(render_to_string("steering/reports/email.html", context), "text/html")
    message.attach(exports.filename(report, "pdf"), pdf, "application/pdf")
    return message


def report_emails_send(*, org: Organization, stakeholder: Stakeholder, period) -> dict[str, int]:
    """Send the stakeholder's report of ``period`` (closed) to each recipient who has not had it.
    One report and one PDF per language. Returns how many were sent and failed; raises
    ReportSendError after trying them all when one failed (the task then retries)."""
    if not is_closed(org, period):
        raise ValueError(f"{period} is not over yet")
    recipients = report_recipients(org=org, stakeholder=stakeholder)
    languages = user_languages(org=org, users=recipients)
    claimed = []
    for user in recipients:
        delivery, _created = ReportDelivery.objects.get_or_create(
            organization=org,
            stakeholder=stakeholder,
            period=str(period),
            user=user,
            defaults={"email": user.email, "language": languages[user.pk]},
        )
        if _claim(delivery):
            claimed.append(delivery)
    rendered: dict[str, tuple] = {}  # language → (report, pdf)
    sent = failed = 0
    for delivery in claimed:
        language = delivery.language or org.language
        try:
            with translation.override(language):
                if language not in rendered:
                    report = report_build(org=org, stakeholder=stakeholder, period=period, reader=Reader.protected())
                    rendered[language] = (report, exports.pdf_render(report))
                report, pdf = rendered[language]
                _message(org=org, report=report, pdf=pdf, delivery=delivery).send()
        except Exception as exc:  # any failure of the render or the send: logged, shown, retried
            logger.exception("report e-mail %s failed", delivery.pk)
            ReportDelivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
            )
            failed += 1
        else:
            ReportDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
            sent += 1
    if failed:
        raise ReportSendError(f"{failed} report e-mail(s) of {stakeholder.code} {period} failed")
    return {"sent": sent, "failed": failed}


def report_emails_due(*, org: Organization) -> list[tuple[int, str]]:
    """(stakeholder id, period) of every stakeholder whose period just closed has a recipient not
    sent to yet (no row, or a pending one). Failed e-mails are the task's retries' and the admins'
    business, not the schedule's."""
    due = []
    for stakeholder in Stakeholder.objects.for_org(org).order_by("code"):
        period = last_closed_period(org, stakeholder)
        recipients = {u.pk for u in report_recipients(org=org, stakeholder=stakeholder)}
        if not recipients:
            continue
        handled = set(
            ReportDelivery.objects.for_org(org)
            .filter(stakeholder=stakeholder, period=str(period))
            .exclude(status=DeliveryStatus.PENDING)
            .values_list("user_id", flat=True)
        )
        if recipients - handled:
            due.append((stakeholder.pk, str(period)))
    return due


def delivery_retry(*, org: Organization, stakeholder: Stakeholder, pk: int) -> ReportDelivery:
    """An admin sends a failed e-mail again: its attempts start over, and it is sent now (the
    task runs eagerly in the embedded default, through the worker otherwise)."""
    failed = ReportDelivery.objects.filter(stakeholder=stakeholder, status=DeliveryStatus.FAILED)
    delivery = access_or_404(failed, org, pk=pk)
    with transaction.atomic():
        failed.filter(pk=delivery.pk).update(status=DeliveryStatus.PENDING, attempts=0, error="")
        # robust: a send that fails again is logged and shown as failed, not an error page.
        transaction.on_commit(
            lambda: enqueue("steering.tasks.report_email_send_task", org.pk, stakeholder.pk, delivery.period),
            robust=True,
        )
    return delivery
