"""An organization with one team too small to be shown above its managers, for
tests/test_protection_everywhere.py: its data, and what every group's figures are.

Tree (SPEC §4, ``min_group_size`` 5)::

    Nord (R-NORD)
      Lille (B-LILLE): Lille Petit (T-PETIT, 3 members), Lille 2 (T-LILLE-2, 8), Lille 3 (T-LILLE-3, 11)
      Arras (B-ARRAS): Arras 1 (T-ARRAS, 10)
    Sud (R-SUD)
      Marseille (B-MARS): Marseille 1 (T-MARS-1, 13), Marseille 2 (T-MARS-2, 7)

T-PETIT is hidden from executives and steering members, and so is T-LILLE-2 (the complement:
otherwise Lille minus Lille 2 and Lille 3 would be T-PETIT). No other group has a size divisible
by 3, so that T-PETIT's shares (ninths, eighteenths, 27ths and 54ths with a numerator not divisible
by 3) cannot be any other group's: a string search for them means something.

T-PETIT's figures are the same every month from the first one, so that one value says each of them:
transformation 0.7037 (38/54), assessed and known 0.8889, mastered 0.6111, per dimension 0.8148 /
0.5926 (transformation), 0.7778 / 0.4444 (mastered); coverage 2/3 (two of three coached each month
but the first, when all three were rated), cadence 3/7 (three animations, seven expected), hence a
deployment rate of 0.5476 (23/42). The other groups' figures stay below them, and the survey
responses come in identical blocks of five, so that every survey figure of every breakdown is the
same (NPS 20, CSAT 80 %, CES 5.4) and only their margins vary. ``figures()`` says what every
group's figures are, from the engine's unprotected read and the live counts, with the team-month
sums each one adds up; tests/test_protection_everywhere.py searches only the forms that belong to
one group, and works out what follows from what.

Readers: an admin, an executive, a steering member (in the three stakeholders: the small team's
region, the small team, and its two siblings, whose union would give it away), the small team's
manager (the observer) and a manager of Lille 3.

History: the fourteen months up to the current one, computed as ``seed_demo`` computes them
(``periods_mark_all``, ``recompute_org``); then the current month gets more data that no
recomputation has seen yet (live figures differ from the snapshots).
"""

import datetime
from dataclasses import dataclass

from django.utils import timezone

from connectors.models import Delivery as ConnectorDelivery
from connectors.services import connector_create
from cxtracker.months import Month, MonthSpan, Quarter
from cxtracker.tenancy.models import Member, Role, UnitKind
from cxtracker.tenancy.services import api_key_create
from deployment.models import Observation
from deployment.services import animations_create_or_get, observations_create_or_get
from experience.services import experience_model_create_from_json, journey_create, journey_stage_create
from kpis.engine import compute, formulas
from kpis.engine.formulas import survey_figures
from kpis.engine.marks import periods_mark_all
from kpis.engine.rates import rates_read
from kpis.engine.readers import Reader
from kpis.engine.recompute import recompute_org
from kpis.engine.surveys import BREAKDOWNS, survey_sums
from kpis.engine.targets import Target
from kpis.models import Metric, MetricCategory, MetricValue, SurveyResponse, UploadJob, UploadStatus
from kpis.services import metric_create, metrics_seed_defaults
from steering.models import DeliveryStatus, ReportDelivery
from steering.services import action_plan_create, stakeholder_create
from tests.factories import make_member, make_membership, make_org, make_unit, make_user

MONTHS = 14
EXPECTED_ANIMATIONS = 7
SMALL = "T-PETIT"
# (region, business unit, team, team name, members)
TEAMS = [
    ("R-NORD", "B-LILLE", SMALL, "Lille Petit", 3),
    ("R-NORD", "B-LILLE", "T-LILLE-2", "Lille 2", 8),
    ("R-NORD", "B-LILLE", "T-LILLE-3", "Lille 3", 11),
    ("R-NORD", "B-ARRAS", "T-ARRAS", "Arras 1", 10),
    ("R-SUD", "B-MARS", "T-MARS-1", "Marseille 1", 13),
    ("R-SUD", "B-MARS", "T-MARS-2", "Marseille 2", 7),
]
UNIT_NAMES = {"R-NORD": "Nord", "R-SUD": "Sud", "B-LILLE": "Lille", "B-ARRAS": "Arras", "B-MARS": "Marseille"}
DIMENSIONS = {"accueil": "Accueil", "conseil": "Conseil"}
BEHAVIORS = [f"{d}-{i}" for d in DIMENSIONS for i in (1, 2, 3)]
# The small team's members and their levels, behavior by behavior (None: never rated).
SMALL_MEMBERS = {
    "P-1": ("Zéphyrine Quillard", [4, 4, 4, 4, 2, None]),
    "P-2": ("Anatole Vermeil", [4, 2, 4, 4, 4, 4]),
    "P-3": ("Philomène Brassac", [4, 4, None, 2, 2, 2]),
}
PASSWORD = "correct horse battery"


def _moment(org, month: Month, day: int, hour: int = 10) -> datetime.datetime:
    """``day`` of ``month`` at ``hour``; in the current month, a moment already past (SPEC: nothing is
    recorded in the future) but still in the month."""
    moment = datetime.datetime(month.year, month.month, min(day, 28), hour, tzinfo=org.tzinfo)
    now = timezone.now()
    if moment < now - datetime.timedelta(minutes=10):
        return moment
    start = month.bounds(org.tzinfo)[0]
    return start + (now - start) * (0.5 + hour / 100)


def _units(org) -> dict:
    units = {}
    for region, unit, team, name, _size in TEAMS:
        if region not in units:
            units[region] = make_unit(org, UnitKind.REGION, code=region, name=UNIT_NAMES[region])
        if unit not in units:
            units[unit] = make_unit(org, UnitKind.BUSINESS_UNIT, units[region], code=unit, name=UNIT_NAMES[unit])
        units[team] = make_unit(org, UnitKind.TEAM, units[unit], code=team, name=name)
    return units


def _members(org, units, first_day) -> dict[str, list[Member]]:
    members = {}
    for _region, _unit, team, _name, size in TEAMS:
        if team == SMALL:
            people = [(code, name) for code, (name, _levels) in SMALL_MEMBERS.items()]
        else:
            people = [(f"{team}-{i:02d}", f"Personne {team} n°{i:02d}") for i in range(size)]
        members[team] = [
            make_member(org, units[team], code=code, name=name, active_from=first_day) for code, name in people
        ]
    return members


def _field_history(org, w, months: list[Month]) -> None:
    """Observations and animations of every month. The small team: everyone rated in the first
    month at their final levels, then two of three observed each month (their levels unchanged),
    three animations a month. The other teams: a tenth to two fifths of their members coached, each
    on the same two behaviors at levels that grow, one or two animations a month: every figure of
    theirs stays below the small team's, so that no number of theirs reads as one of its."""
    observations, animations = [], []
    for i, month in enumerate(months):
        for t, (_region, _unit, team, _name, size) in enumerate(TEAMS):
            people = w["members"][team]
            if team == SMALL:
                observed = people if i == 0 else [people[(i + k) % 3] for k in (0, 1)]
                for k, member in enumerate(observed):
                    levels = SMALL_MEMBERS[member.code][1]
                    rated = [(b, lvl) for b, lvl in zip(BEHAVIORS, levels, strict=True) if lvl is not None]
                    ratings = rated if i == 0 else rated[:1]
                    observations.append((member, _moment(org, month, 3 + k), ratings))
                count = 3
            else:
                share = 0.10 + 0.028 * ((i * 3 + t * 5) % 11)
                coached = max(1, round(size * share))
                for k in range(coached):
                    j = (2 * i + k) % size
                    level = min(4, 2 + (i + j) // 5)
                    ratings = [(BEHAVIORS[0], level), (BEHAVIORS[3], max(1, level - 1))]
                    observations.append((people[j], _moment(org, month, 2 + k), ratings))
                count = 1 + (i + t) % 2
            for k in range(count):
                animations.append((w["units"][team], _moment(org, month, 5 + 2 * k, hour=8), people))
    _write_field(org, w, observations, animations, prefix="h")


def _write_field(org, w, observations, animations, *, prefix: str) -> None:
    written = observations_create_or_get(
        org=org,
        items=[
            {
                "member": member,
                "observer": w["manager"],
                "observed_at": at,
                "kind": "coaching" if n % 2 else "observation",
                "ratings": ratings,
                "strengths": f"Note {prefix}{n}",
                "external_id": f"OBS-{prefix}{n}",
            }
            for n, (member, at, ratings) in enumerate(observations)
        ],
    )
    assert all(not item.errors for item in written), [item.errors for item in written if item.errors]
    written = animations_create_or_get(
        org=org,
        items=[
            {
                "team": team,
                "held_by": w["manager"],
                "held_at": at,
                "kind": "briefing",
                "topic": f"Briefing {prefix}{n}",
                "attendees": people[:3],
                "external_id": f"AN-{prefix}{n}",
            }
            for n, (team, at, people) in enumerate(animations)
        ],
    )
    assert all(not item.errors for item in written), [item.errors for item in written if item.errors]


# Five responses answered together: NPS 20, CSAT 80 %, CES 5.4 (80 % easy) in every block.
BLOCK = [(10, 5, 6), (9, 5, 6), (8, 5, 7), (3, 5, 5), (7, 3, 3)]


def _surveys_and_metrics(org, w, months: list[Month]) -> None:
    """Responses of every team and month in blocks of five that share their day, trigger, journey
    and segment, so that every breakdown, week or span holds whole blocks: the same NPS, CSAT and
    CES everywhere (only the margins vary with n), none of them near a rate. Revenue of every team
    and month."""
    revenue = Metric.objects.for_org(org).get(code="revenue")
    responses, values = [], []
    for i, month in enumerate(months):
        for t, (_region, _unit, team, _name, _size) in enumerate(TEAMS):
            blocks = 2 if team == SMALL else 3 + (t + i) % 3
            for b in range(blocks):
                for k, (nps, csat, ces) in enumerate(BLOCK):
                    responses.append(
                        SurveyResponse(
                            organization=org,
                            external_id=f"SR-{team}-{month}-{b}-{k}",
                            unit=w["units"][team],
                            responded_at=_moment(org, month, 1 + 5 * b, hour=12),
                            nps=nps,
                            csat=csat,
                            ces=ces,
                            trigger="event" if b % 3 else "periodic",
                            journey="achat" if b % 2 else "sav",
                            channel="magasin",
                            segment="fidele" if b % 4 else "nouveau",
                            comment=f"Avis {k} sur {team}",
                        )
                    )
            values.append(
                MetricValue(
                    organization=org,
                    metric=revenue,
                    unit=w["units"][team],
                    period_start=month.first_day,
                    value=120000.0 + 1000 * t + 100 * i,
                )
            )
    SurveyResponse.objects.bulk_create(responses)
    MetricValue.objects.bulk_create(values)


def _steering(org, w, months: list[Month]) -> None:
    """Three stakeholders (the small team's region; the small team itself; its two siblings, whose
    union would give it away), five done plans (two on the small team, one on its business unit,
    one on each sibling)."""
    units = w["units"]
    rates = ["transformation_rate", "deployment_rate"]
    w["stakeholder"] = stakeholder_create(
        org=org,
        code="sh-nord",
        name="Réseau Nord",
        users=[w["steering"]],
        units=[units["R-NORD"]],
        kpis_for_action=[*rates, "csat"],
        kpis_for_information=["ces", "revenue"],
    )
    w["stakeholders"] = [
        w["stakeholder"],
        stakeholder_create(
            org=org,
            code="sh-petit",
            name="Équipe Lille Petit",
            users=[w["steering"], w["executive"]],
            units=[units[SMALL]],
            kpis_for_action=rates,
            kpis_for_information=["csat"],
        ),
        stakeholder_create(
            org=org,
            code="sh-lille-sib",
            name="Lille 2 et 3",
            users=[w["steering"]],
            units=[units["T-LILLE-2"], units["T-LILLE-3"]],
            kpis_for_action=rates,
        ),
    ]
    # Three months, and their before and after windows, ending before the last month.
    three = (months[-10].first_day.replace(day=5), months[-8].last_day, months[-8].first_day.replace(day=20))
    # The last closed month: its before window is the month before.
    last = (months[-2].first_day, months[-2].last_day, months[-2].first_day)

    def plan(external_id, unit, dates, **target):
        start, due, done = dates
        return action_plan_create(
            org=org,
            external_id=external_id,
            title=f"Plan {external_id}",
            unit=units[unit],
            owner=w["admin"],
            status="done",
            start_on=start,
            due_on=due,
            done_on=done,
            **target,
        )

    w["action_plan"] = plan("AP-PETIT", SMALL, three, target_kpi="transformation_rate")
    w["action_plans"] = [
        w["action_plan"],
        plan("AP-PETIT-DIM", SMALL, three, target_dimension="accueil"),
        plan("AP-LILLE", "B-LILLE", three, target_kpi="deployment_rate"),
        # Lille 3 set against the teams of Lille without a plan on its target: the small team only,
        # Lille 2 having one of its own.
        plan("AP-LILLE-3", "T-LILLE-3", last, target_kpi="transformation_rate"),
        plan("AP-LILLE-2", "T-LILLE-2", last, target_kpi="transformation_rate"),
    ]


def _the_rest(org, w) -> None:
    """What the URLs of tests/world.py name besides: a journey and its stage, a metric of the
    organization's own, an API key, an upload, a failed report e-mail, a connector."""
    w["journey"] = journey_create(org=org, code="achat", name="Achat")
    w["stage"] = journey_stage_create(org=org, journey=w["journey"], name="Caisse", is_moment_of_truth=True)
    w["metric"] = metric_create(
        org=org, code="visites", name="Visites", category=MetricCategory.OPERATIONAL, unit_of_measure=""
    )
    w["api_key"], _raw = api_key_create(org=org, name="Clé", scopes=["read"])
    w["upload_job"] = UploadJob.objects.create(
        organization=org, kind="metric_values", file="uploads/p.csv", filename="p.csv", status=UploadStatus.DONE
    )
    w["delivery"] = ReportDelivery.objects.create(
        organization=org,
        stakeholder=w["stakeholder"],
        period=w["report_period"],
        user=w["admin"],
        email=w["admin"].email,
        status=DeliveryStatus.FAILED,
        error="SMTP",
    )
    w["connector"] = connector_create(
        org=org, name="Typeform", tool="typeform", mapping={"nps": "nps_ref", "unit": "hidden.store"}
    )
    w["connector_delivery"] = ConnectorDelivery.objects.create(
        organization=org, connector=w["connector"], status="refused", http_status=401, reason="Signature invalide."
    )


def build() -> dict:
    org = make_org("maison", "Maison Lumière")
    org.expected_animations_per_month = EXPECTED_ANIMATIONS
    org.save(update_fields=["expected_animations_per_month"])
    current = Month.of(org.today())
    months = Month.range(current.shift(1 - MONTHS), current)
    w = {"org": org, "months": months, "current": current, "report_period": str(current.previous())}
    for role in ("admin", "executive", "steering", "manager"):
        w[role] = make_user(f"{role}@maison.example.com", password=PASSWORD, first_name=role.title())
    w["units"] = _units(org)
    w["admin_membership"] = make_membership(w["admin"], org, Role.ADMIN)
    make_membership(w["executive"], org, Role.EXECUTIVE)
    make_membership(w["steering"], org, Role.STEERING)
    w["membership"] = make_membership(w["manager"], org, Role.MANAGER, units=[w["units"][SMALL]])
    # A manager of another team of Lille: the small team's figures are not theirs either.
    w["sibling_manager"] = make_user("lille3@maison.example.com", password=PASSWORD)
    make_membership(w["sibling_manager"], org, Role.MANAGER, units=[w["units"]["T-LILLE-3"]])
    w["unit"] = w["units"][SMALL]
    w["members"] = _members(org, w["units"], months[0].first_day)
    w["member"] = w["members"][SMALL][0]
    data = {
        "name": "Expérience 2026",
        "dimensions": [
            {
                "code": code,
                "name": name,
                "behaviors": [{"code": b, "name": f"Geste {b}"} for b in BEHAVIORS if b[:-2] == code],
            }
            for code, name in DIMENSIONS.items()
        ],
    }
    w["model"] = experience_model_create_from_json(org=org, data=data, activate=True)
    w["dimension"] = w["model"].dimensions.order_by("position").first()
    w["behavior"] = w["model"].behaviors.order_by("position").first()
    metrics_seed_defaults(org=org)
    _field_history(org, w, months)
    w["observation"] = w["member"].observations.order_by("observed_at").first()
    w["animation"] = w["unit"].animations.order_by("held_at").first()
    _surveys_and_metrics(org, w, months)
    w["survey_response"] = SurveyResponse.objects.for_org(org).filter(unit=w["unit"]).first()
    periods_mark_all(org=org)
    recompute_org(org=org)
    # Live: this month goes on after the last recomputation (a member of the small team observed
    # again, one more animation there; two more people coached in Lille 3).
    start, end = current.bounds(org.tzinfo)
    coached = set(
        Observation.objects.for_org(org)
        .filter(observed_at__gte=start, observed_at__lt=end)
        .values_list("member_id", flat=True)
    )
    again = next(m for m in w["members"][SMALL] if m.pk in coached)
    uncoached = [m for m in w["members"]["T-LILLE-3"] if m.pk not in coached][:2]
    live = [(again, _moment(org, current, 20), [(BEHAVIORS[0], 4)])]
    live += [(m, _moment(org, current, 21), [(BEHAVIORS[1], 2)]) for m in uncoached]
    _write_field(org, w, live, [(w["unit"], _moment(org, current, 22, hour=9), w["members"][SMALL])], prefix="live")
    _steering(org, w, months)
    _the_rest(org, w)
    return w


# --- what every group's figures are --------------------------------------------------------------

SHARE_FIGURES = ("transformation_rate", "assessed_share", "known_share", "mastered_share")


@dataclass(frozen=True)
class Figure:
    """One figure of one group (a unit code, None for the organization, a stakeholder's code for
    the union of its units, "public" for what anyone may see: cadences, survey figures) in one
    period. ``name``: the engine's field ("coverage", "accueil:known_share"); ``terms``: the
    team-month sums it adds up (``figure_terms``), so that a test can tell which figures follow
    from which."""

    group: str | None
    name: str
    period: str
    value: float
    integer_page: bool = False  # shown as a whole percentage ("67 %") on the month pages
    terms: frozenset = frozenset()


def group_teams(w, group) -> list[str]:
    """The teams whose sums a group's figure adds up: a unit's subtree, the whole organization
    (None), a stakeholder's units."""
    teams = [u for u in w["units"].values() if u.kind == UnitKind.TEAM]
    if group in w["units"]:
        paths = [w["units"][group].path]
    elif group is None:
        paths = [""]
    else:
        stakeholder = next(s for s in w["stakeholders"] if s.code == group)
        paths = [u.path for u in stakeholder.units.all()]
    return [t.code for t in teams if any(t.path.startswith(p) for p in paths)]


def figure_terms(w, group, name: str, period, *, month_name=str) -> frozenset:
    """(measure, team, month, dimension) of each sum the figure is made of. Sizes are public, so a
    share tells its sum: coverage and the deployment rate (cadence is public too) tell the coached
    count of each month of the period; a mastery share, the sums of the period's last month, over
    the dimensions (the whole model's is the sum of its dimensions'). ``month_name``: the name of a
    month's sums (the current month's live counts are not its snapshot's)."""
    dimension, _colon, measure = name.rpartition(":")
    if measure in ("coverage", "deployment_rate", "coached_members"):
        measure, dimensions, months = "coached", [""], period.months()
    else:
        dimensions, months = [dimension] if dimension else list(DIMENSIONS), period.months()[-1:]
    return frozenset(
        (measure, team, month_name(m), d) for team in group_teams(w, group) for m in months for d in dimensions
    )


def period_parse(text: str):
    """A period as the answers name it: ``2026-03``, ``2026-Q1`` or a span ``2026-01/2026-03``."""
    if "Q" in text:
        return Quarter.parse(text)
    first, _slash, last = text.partition("/")
    return Month.parse(first) if not last else MonthSpan(Month.parse(first), Month.parse(last))


def spans(w) -> list[MonthSpan]:
    """The spans the dashboard walk asks for, and the previous span of each (its changes)."""
    months = w["months"]
    asked = [
        MonthSpan(months[-12], months[-1]),
        MonthSpan(months[-2], months[-2]),
        MonthSpan(months[-4], months[-2]),
    ]
    return asked + [s.previous() for s in asked]


def quarters(w) -> list[Quarter]:
    return sorted({Quarter.of(m.first_day) for m in w["months"]})


def _rate_figures(w, group, period, row, *, integer_page=False) -> list[Figure]:
    """The figures of a ``rates_read`` row of ``period``."""
    end = str(period.months()[-1])
    values = [(key, str(period), row.get(key)) for key in ("coverage", "deployment_rate")]
    values += [(key, end, row.get(key)) for key in SHARE_FIGURES]
    values += [(f"{d['code']}:{key}", end, d[key]) for d in row.get("dimensions", []) for key in SHARE_FIGURES]
    # Coverage and the deployment rate are what the month pages show as whole percentages.
    figures = [
        Figure(group, name, label, value, integer_page and i < 2, figure_terms(w, group, name, period))
        for i, (name, label, value) in enumerate(values)
        if value is not None
    ]
    if row.get("cadence") is not None:
        figures.append(Figure("public", "cadence", str(period), row["cadence"], integer_page))
    return figures


def _survey_figures(w, periods) -> list[Figure]:
    """Every survey figure of every group, alone and by each breakdown (what the KPI explorer, the
    board and the reports show, their margins too): anyone may see them."""
    org = w["org"]
    targets = [Target(None)] + [Target(u) for u in w["units"].values()]
    # One call per group of periods that do not overlap (each span on its own).
    batches = [w["months"], quarters(w), *([s] for s in spans(w))]
    result = []
    for target in targets:
        for by in (None, *BREAKDOWNS):
            for batch in batches:
                sums = survey_sums(org=org, targets=[target], periods=batch, by=by)
                for (_key, period, _value), counts in sums.items():
                    for name, value in survey_figures(counts, min_sample=org.min_sample_size).items():
                        if isinstance(value, float):
                            result.append(Figure("public", name, str(period), value))
    return result


def figures(w) -> list[Figure]:
    """Every figure of every group the pages could show, unprotected: the engine's for each month,
    span and quarter, the union of a stakeholder's units, the live counts of the current and
    previous months, and the public ones."""
    org = w["org"]
    targets = [Target(None)] + [Target(u) for u in w["units"].values()]
    periods = [*w["months"], *spans(w), *quarters(w)]
    month_pages = {str(w["current"]), w["report_period"]}
    rows = rates_read(org=org, reader=Reader.unrestricted(), targets=targets, periods=periods)
    keys = [(t, p) for t in targets for p in periods]
    result = []
    for (target, period), row in zip(keys, rows, strict=True):
        code = target.unit.code if target.unit else None
        result += _rate_figures(w, code, period, row, integer_page=str(period) in month_pages)
    for stakeholder in w["stakeholders"]:
        units = list(stakeholder.units.all())
        if len(units) > 1:
            rows = rates_read(org=org, reader=Reader.unrestricted(), targets=[Target(*units)], periods=w["months"])
            for period, row in zip(w["months"], rows, strict=True):
                # A report shows the two rates of its scope, nothing else of it.
                shown = {k: row[k] for k in ("deployment_rate", "transformation_rate")}
                result += _rate_figures(w, stakeholder.code, period, shown)
    result += _survey_figures(w, periods)
    result += _live_figures(w, [w["current"], w["current"].previous()])
    return result


def _live_figures(w, months: list[Month]) -> list[Figure]:
    """The live counts (the home, and the team pages of who sees individuals): each team's, each
    unit's and the organization's coverage and deployment rate, whole percentages only. Only the
    current month has data no recomputation has seen: the others' live counts are their snapshots'."""
    org = w["org"]
    teams = [u for u in w["units"].values() if u.kind == UnitKind.TEAM]
    weight = float(org.rate_weight)

    def month_name(month):
        return f"live:{month}" if month == w["current"] else str(month)

    result = []
    for month in months:
        counts = compute.deployment_counts(org=org, months=[month])
        groups: dict = {}
        for team in teams:
            s = counts[(team.pk, month.first_day)]
            cadence = formulas.cadence(s.animations, org.expected_animations_per_month)
            for group in [team.code, team.parent.code, team.parent.parent.code, None]:
                acc = groups.setdefault(group, [0, 0, 0.0])
                acc[0] += s.active_members
                acc[1] += s.coached_members
                acc[2] += cadence * s.active_members
            result.append(Figure("public", "cadence", f"live:{month}", cadence, True))
        for group, (active, coached, cadence_weight) in groups.items():
            coverage = coached / active
            deployment = weight * coverage + (1 - weight) * cadence_weight / active
            for name, value in (("coverage", coverage), ("deployment_rate", deployment)):
                terms = figure_terms(w, group, name, month, month_name=month_name)
                result.append(Figure(group, name, f"live:{month}", value, True, terms))
    return result
