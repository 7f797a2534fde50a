"""The team pages: a manager's home (their teams this month, who is not coached yet), the team list,
a team's page (its month, the members × behaviors grid of latest levels, its animations) and the
manager's team dashboard with its charts' CSVs.

The month's figures are the engine's, read live for the reader (``selectors.team_month_rates``);
names and levels only for who sees individuals (``scoped_individuals``: none above the managers).
Objects are fetched only through cxtracker.tenancy.access."""

import datetime
import re

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language

from cxtracker import tabular
from cxtracker.months import Month
from cxtracker.tenancy.access import (
    access_team,
    can_write_field,
    is_admin,
    org_view,
    scoped_individuals,
    scoped_teams,
    sees_individuals,
)
from cxtracker.tenancy.views import in_org_timezone
from deployment.selectors import latest_levels, member_month_activity, month_current, team_animations
from experience.selectors import active_model, behaviors_by_dimension, model_behaviors, model_dimensions

from . import figures, selectors


def _page(request, items, per_page):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def _month(request, org) -> Month:
    """The month asked for (``?month=YYYY-MM``), the current one by default; never the future."""
    current = month_current(org=org)
    asked = Month.parse_or_none(request.GET.get("month"))
    return min(asked, current) if asked else current


def _month_context(org, month) -> dict:
    current = month_current(org=org)
    return {
        "month": month.first_day,  # a date, for the templates' |date
        "month_value": str(month),
        "previous_month": str(month.previous()),
        "next_month": str(month.next()) if month < current else None,
        "is_current_month": month == current,
    }


def _pct(share: float | None) -> int | None:
    return None if share is None else round(100 * share)


def _chip(mean):
    """A mean level as its rounded level (for the colour) and its text."""
    if mean is None:
        return None
    # In the reader's language: "2,5" in French. number_format cuts the decimals it drops: round first.
    return {"level": int(mean + 0.5), "text": number_format(round(mean, 1), decimal_pos=1)}


def _month_end_or_now(org, month) -> datetime.datetime:
    return min(timezone.now(), month.bounds(org.tzinfo)[1])


def _team_row(team, summary: dict) -> dict:
    """A team with its month's ``rates_read`` row and the row's shares in %."""
    return {
        "team": team,
        "summary": summary,
        "coverage_pct": _pct(summary["coverage"]),
        "cadence_pct": _pct(summary["cadence"]),
        "rate_pct": _pct(summary["deployment_rate"]),
    }


def _member_rows(membership, org, teams, month) -> dict[int, list]:
    """By team: its members active in the month (none for the roles above the managers), with
    their month's activity and their mastery of each dimension of the active model."""
    members = list(
        scoped_individuals(membership)
        .filter(team__in=teams)
        .active_between(month.first_day, month.last_day)
        .select_related("team")
        .order_by("name", "code")
    )
    activity = member_month_activity(org=org, members=members, month=month)
    model = active_model(org=org)
    behaviors = model_behaviors(model=model)
    dimensions = model_dimensions(model=model)
    levels = latest_levels(members=members, behaviors=behaviors, at=_month_end_or_now(org, month))
    mastery = selectors.dimension_mastery(levels, behaviors, [m.pk for m in members])
    rows_by_team: dict[int, list] = {t.pk: [] for t in teams}
    for m in members:
        act = activity.get(m.pk)
        rows_by_team[m.team_id].append(
            {
                "member": m,
                "last_observed_at": act.last_observed_at if act else None,
                "observations_in_month": act.observations_in_month if act else 0,
                "chips": [(d, _chip(mastery[m.pk].get(d.pk))) for d in dimensions],
            }
        )
    return rows_by_team


def _team_blocks(membership, org, teams, month) -> list[dict]:
    """Each team with its month summary and its active members, not yet coached first."""
    teams = list(teams)
    summary = selectors.team_month_rates(membership=membership, teams=teams, month=month)
    rows_by_team = _member_rows(membership, org, teams, month)
    return [
        {
            **_team_row(team, summary[team.pk]),
            "not_coached": [r for r in rows_by_team[team.pk] if not r["observations_in_month"]],
            "coached": [r for r in rows_by_team[team.pk] if r["observations_in_month"]],
        }
        for team in teams
    ]


def _level_grid(members, behaviors) -> list[dict]:
    """Each member, by name, with the latest level of each behavior (None: not assessed yet)."""
    members = sorted(members, key=lambda m: (m.name, m.code))
    levels = latest_levels(members=members, behaviors=behaviors)
    return [{"member": m, "levels": [levels.get((m.pk, b.pk)) for b in behaviors]} for m in members]


@in_org_timezone
def manager_home(request, org):
    """A manager's home, called by dashboards.views.org_home (which already resolved the org)."""
    month = _month(request, org)
    page = _page(request, scoped_teams(request.membership).order_by("path"), 10)
    context = {
        "blocks": _team_blocks(request.membership, org, page.object_list, month),
        "page_obj": page,
        "expected_animations": org.expected_animations_per_month,
        "can_write": can_write_field(request.membership),
        "has_model": active_model(org=org) is not None,
        **_month_context(org, month),
    }
    return render(request, "dashboards/teams/manager_home.html", context)


@org_view()
@in_org_timezone
def team_list(request, org):
    """Every team in scope with its month's coverage, cadence and deployment rate."""
    month = _month(request, org)
    page = _page(request, scoped_teams(request.membership).select_related("parent").order_by("path"), 25)
    summary = selectors.team_month_rates(membership=request.membership, teams=page.object_list, month=month)
    context = {
        "rows": [_team_row(t, summary[t.pk]) for t in page.object_list],
        "page_obj": page,
        "suppressed": any(s["suppressed"] for s in summary.values()),
        **_month_context(org, month),
    }
    return render(request, "dashboards/teams/list.html", context)


@org_view()
@in_org_timezone
def team_detail(request, org, code):
    """Who needs what: the team's month, its members × behaviors grid of latest levels (for who
    sees individuals), and its animations."""
    team = access_team(request.membership, code)
    block = _team_blocks(request.membership, org, [team], month_current(org=org))[0]
    behaviors = model_behaviors(model=active_model(org=org))
    context = {
        "team": team,
        "tb": block,
        "behaviors": behaviors,
        "dimension_spans": [(dimension, len(run)) for dimension, run in behaviors_by_dimension(behaviors)],
        "grid": _level_grid([r["member"] for r in block["not_coached"] + block["coached"]], behaviors),
        "animations": _page(request, team_animations(org=org, team=team), 10),
        "can_write": can_write_field(request.membership),
        "expected_animations": org.expected_animations_per_month,
        "user_is_admin": is_admin(request.membership),
        "sees_individuals": sees_individuals(request.membership),
    }
    return render(request, "dashboards/teams/detail.html", context)


@org_view(individuals=True)
@in_org_timezone
def team_dashboard(request, org, code):
    """The manager's dashboard of a team: its rates over the last twelve months against its
    business unit's and the organization's, its customer KPIs, the dimensions that hold it back."""
    team = access_team(request.membership, code)
    dashboard = selectors.team_dashboard(membership=request.membership, team=team, last=month_current(org=org))
    language = get_language()
    rates = ("deployment", "transformation") if dashboard.has_rates else ()
    rate_figures = {chart: figures.rate_figure(dashboard, chart, language=language) for chart in rates}
    latest = dashboard.latest_kpis
    context = {
        "team": team,
        "dashboard": dashboard,
        "deployment_figure": rate_figures.get("deployment"),
        "transformation_figure": rate_figures.get("transformation"),
        "kpi_figures": [(key, figures.kpi_figure(dashboard, key, language=language)) for key in figures.KPI_CHARTS]
        if dashboard.has_kpis
        else [],
        "dimension_figure": figures.dimension_figure(dashboard, language=language) if dashboard.dimensions else None,
        "latest_kpis": latest,
        "latest_kpis_month": Month.parse(latest["period"]).first_day if latest else None,
        "dimension_rows": figures.dimension_rows(dashboard),
        "first_month": dashboard.months[0].first_day,
        "last_month": dashboard.months[-1].first_day,
    }
    return render(request, "dashboards/teams/dashboard.html", context)


@org_view(individuals=True)
@in_org_timezone
def team_dashboard_csv(request, org, code, chart):
    """The data of one chart of the team dashboard, as CSV in the reader's spreadsheet's format
    (French: semicolons and decimal commas), as the dashboards' other charts."""
    team = access_team(request.membership, code)
    if chart not in figures.CHARTS:
        raise Http404
    dashboard = selectors.team_dashboard(membership=request.membership, team=team, last=month_current(org=org))
    header, rows = figures.chart_table(dashboard, chart)
    filename = f"{re.sub(r'[^A-Za-z0-9._-]', '_', team.code)}-{chart}.csv"
    return tabular.csv_response(header, rows, filename=filename, language=get_language())
