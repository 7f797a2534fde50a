"""One organization holding a row of every kind, for the tests that walk every URL.

Each app fills its own section: when you add a view under ``o/<slug:org>/`` whose URL takes a new
keyword argument, add the object it needs here and say in ``URL_KWARGS`` (by keyword) or in
``URL_KWARGS_BY_NAME`` (by URL name, when a keyword means different things in different URLs)
how to fill it. tests/test_tenancy.py fails on a keyword it cannot fill.

``build_world(org, prefix=..., label=...)`` builds the same world with other codes and names, for a
second organization whose admin asks for the first world's objects
(tests/test_tenancy_cross_org.py): codes start with ``prefix`` and names with ``label``, so that
neither organization holds a code or a name of the other.
"""

import datetime

from cxtracker.tenancy.models import Role
from tests.factories import make_member, make_membership, make_tree, make_user


def _tenancy(org, w, p, label):
    w["tree"] = make_tree(org, prefix=p)
    for unit in w["tree"].values():
        unit.name = f"{label} {unit.name}"
        unit.save(update_fields=["name"])
    w["unit"] = w["tree"]["T1"]
    w["member"] = make_member(
        org, w["unit"], code=f"{p}-E1", name=f"{label} Member", active_from=datetime.date(2025, 1, 1)
    )
    w["admin"] = make_user(f"admin@{org.slug}.example.com")
    w["admin_membership"] = make_membership(w["admin"], org, Role.ADMIN)
    w["manager"] = make_user(f"manager@{org.slug}.example.com")
    w["manager_membership"] = make_membership(w["manager"], org, Role.MANAGER, units=[w["unit"]])
    w["membership"] = w["manager_membership"]


def _experience(org, w, p, label):
    """The experience app's rows (model, dimension, behavior, journey, stage)."""
    from experience.services import experience_model_create_from_json, journey_create, journey_stage_create

    w["journey"] = journey_create(org=org, code=f"{p}-J1", name=f"{label} journey")
    w["stage"] = journey_stage_create(org=org, journey=w["journey"], name=f"{label} stage", is_moment_of_truth=True)
    data = {
        "name": f"{label} model",
        "dimensions": [
            {
                "code": f"{p}-D1",
                "name": f"{label} dimension",
                "journeys": [f"{p}-J1"],
                "behaviors": [{"code": f"{p}-B1", "name": f"{label} behavior", "guidance": {"4": "Always"}}],
            },
        ],
    }
    w["model"] = experience_model_create_from_json(org=org, data=data, activate=True)
    w["dimension"] = w["model"].dimensions.get()
    w["behavior"] = w["model"].behaviors.get()


def _deployment(org, w, p, label):
    """The deployment app's rows (observation, animation), logged by the world's manager."""
    from django.utils import timezone

    from deployment.services import animation_create, observation_create

    when = timezone.now() - datetime.timedelta(hours=1)
    w["observation"] = observation_create(
        org=org,
        member=w["member"],
        observer=w["manager"],
        observed_at=when,
        kind="coaching",
        ratings=[(w["behavior"], 3)],
        next_step=f"{label}: greet every customer",
        external_id=f"{p}-OBS1",
    )
    w["animation"] = animation_create(
        org=org,
        team=w["unit"],
        held_by=w["manager"],
        held_at=when,
        kind="briefing",
        attendees=[w["member"]],
        topic=f"{label} briefing",
        external_id=f"{p}-AN1",
    )


def _kpis(org, w, p, label):
    """The kpis app's rows (seeded metrics, a metric of its own, metric value, survey response, API
    key, upload job). The seeded metrics have the same codes in every organization: the URLs use
    the world's own metric."""
    from django.utils import timezone

    from cxtracker.tenancy.services import api_key_create
    from kpis.models import MetricCategory, MetricValue, SurveyResponse, UploadJob, UploadStatus
    from kpis.services import metric_create, metrics_seed_defaults

    metrics_seed_defaults(org=org)
    w["metric"] = metric_create(
        org=org, code=f"{p}-M1", name=f"{label} metric", category=MetricCategory.BUSINESS, unit_of_measure="€"
    )
    w["metric_value"] = MetricValue.objects.create(
        organization=org, metric=w["metric"], unit=w["unit"], period_start=datetime.date(2026, 1, 1), value=1000.0
    )
    w["survey_response"] = SurveyResponse.objects.create(
        organization=org,
        external_id=f"{p}-SR1",
        unit=w["unit"],
        responded_at=timezone.now(),
        nps=9,
        journey=f"{p}-J1",
        segment=f"{p}-S1",
        channel=f"{p}-C1",
        comment=f"{label} comment",
    )
    w["api_key"], _raw = api_key_create(org=org, name=f"{label} key", scopes=["read", "write"])
    w["upload_job"] = UploadJob.objects.create(
        organization=org,
        kind="metric_values",
        file=f"uploads/{p}.csv",  # a name only: no view of the walk opens the file
        filename=f"{label} upload.csv",
        status=UploadStatus.DONE,
        errors=[{"row": 2, "errors": {"unit": ["Unknown unit code: X."]}}],
    )


def _steering(org, w, p, label):
    """The steering rows (a stakeholder, a done action plan), of the world's manager and team."""
    from steering.services import action_plan_create, stakeholder_create

    w["stakeholder"] = stakeholder_create(
        org=org,
        code=f"{p}-SH1",
        name=f"{label} stakeholder",
        users=[w["manager"]],
        units=[w["unit"]],
        kpis_for_action=["nps", w["metric"].code],
        kpis_for_information=["csat"],
    )
    w["action_plan"] = action_plan_create(
        org=org,
        external_id=f"{p}-AP1",
        title=f"{label} action plan",
        unit=w["unit"],
        owner=w["manager"],
        target_kpi="nps",
        status="done",
        start_on=datetime.date(2025, 1, 1),
        due_on=datetime.date(2025, 2, 28),
        done_on=datetime.date(2025, 2, 20),
        notes=f"{label} plan notes",
    )


def _reports(org, w, p, label):
    """The steering reports' rows: a failed report e-mail of the world's stakeholder, and the
    last closed month (the period of its reports)."""
    from cxtracker.months import Month
    from steering.models import DeliveryStatus, ReportDelivery

    w["report_period"] = str(Month.of(org.today()).previous())
    w["delivery"] = ReportDelivery.objects.create(
        organization=org,
        stakeholder=w["stakeholder"],
        period=w["report_period"],
        user=w["admin"],
        email=w["admin"].email,
        status=DeliveryStatus.FAILED,
        error=f"{label} SMTP error",
    )


def _connectors(org, w, p, label):
    """A Typeform connector with a refused delivery (replayable: its payload kept)."""
    from connectors.models import Delivery, DeliveryStatus
    from connectors.services import connector_create

    w["connector"] = connector_create(
        org=org, name=f"{label} connector", tool="typeform", mapping={"nps": "nps_ref", "unit": "hidden.store"}
    )
    w["connector_delivery"] = Delivery.objects.create(
        organization=org,
        connector=w["connector"],
        status=DeliveryStatus.REFUSED,
        http_status=422,
        external_id=f"{p}-TF1",
        reason=f"unit: {label} unknown unit",
        payload={"event_type": "form_response", "form_response": {"token": f"{p}-TF1", "hidden": {"store": "X"}}},
    )


def build_world(org, prefix="W", label="World") -> dict:
    w = {"org": org, "prefix": prefix, "label": label}
    for section in (_tenancy, _experience, _deployment, _kpis, _steering, _reports, _connectors):
        section(org, w, prefix, label)
    return w


# keyword -> how to fill it from the world
URL_KWARGS = {
    "org": lambda w: w["org"].slug,
    "model_pk": lambda w: w["model"].pk,
    "dimension_pk": lambda w: w["dimension"].pk,
    "behavior_pk": lambda w: w["behavior"].pk,
    "journey_pk": lambda w: w["journey"].pk,
    "stage_pk": lambda w: w["stage"].pk,
}

# URL name -> {keyword: how to fill it}, for keywords whose meaning depends on the URL
URL_KWARGS_BY_NAME: dict[str, dict] = {
    **{f"tenancy:unit-{action}": {"code": lambda w: w["unit"].code} for action in ("edit", "delete")},
    **{
        f"tenancy:member-{action}": {"code": lambda w: w["member"].code}
        for action in ("edit", "deactivate", "reactivate")
    },
    "tenancy:membership-edit": {"membership_id": lambda w: w["membership"].pk},
    "tenancy:membership-delete": {"membership_id": lambda w: w["membership"].pk},
    "kpis:api-key-revoke": {"pk": lambda w: w["api_key"].pk},
    "deployment:animation-create": {"code": lambda w: w["unit"].code},
    **{
        f"{ns}{name}": {"code": lambda w: w["unit"].code}
        for ns in ("dashboards:", "deployment:moved-")
        for name in ("team-detail", "team-dashboard")
    },
    **{
        f"{ns}team-dashboard-csv": {"code": lambda w: w["unit"].code, "chart": lambda w: "deployment"}
        for ns in ("dashboards:", "deployment:moved-")
    },
    "deployment:member-detail": {"code": lambda w: w["member"].code},
    **{
        f"deployment:observation-{action}": {"pk": lambda w: w["observation"].pk}
        for action in ("update", "delete", "next-step-done")
    },
    **{f"deployment:animation-{action}": {"pk": lambda w: w["animation"].pk} for action in ("update", "delete")},
    **{f"kpis:metric-{action}": {"code": lambda w: w["metric"].code} for action in ("edit", "delete")},
    **{f"kpis:upload{suffix}": {"pk": lambda w: w["upload_job"].pk} for suffix in ("", "-status", "-report")},
    **{
        f"{ns}stakeholder-{action}": {"code": lambda w: w["stakeholder"].code}
        for ns in ("steering:", "kpis:moved-")
        for action in ("edit", "delete")
    },
    **{
        f"{ns}action-plan-{action}": {"pk": lambda w: w["action_plan"].pk}
        for ns in ("steering:", "kpis:moved-")
        for action in ("detail", "edit", "delete")
    },
    **{f"steering:{name}": {"code": lambda w: w["stakeholder"].code} for name in ("stakeholder", "deliveries")},
    "steering:delivery-resend": {"code": lambda w: w["stakeholder"].code, "pk": lambda w: w["delivery"].pk},
    **{f"connectors:{name}": {"pk": lambda w: w["connector"].pk} for name in ("detail", "preview", "import", "delete")},
    "connectors:delivery-replay": {
        "pk": lambda w: w["connector"].pk,
        "delivery_pk": lambda w: w["connector_delivery"].pk,
    },
    **{
        f"steering:{name}": {"code": lambda w: w["stakeholder"].code, "period": lambda w: w["report_period"]}
        for name in ("report", "report-pdf", "report-xlsx", "report-csv")
    },
}
