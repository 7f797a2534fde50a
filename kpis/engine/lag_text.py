"""The plain sentence of a lag analysis (SPEC §4), in the request's language.

kpis.engine.lag computes without Django and answers with a ``reason`` code and figures; the words live
here, through gettext, so that French and English say the same thing. A found effect always ends
with the caveat that it is an association within teams, not a proof of causation.
"""

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .lag import MIN_TEAMS, Reason

# Below this the placebo (leads) test says future mastery "predicts" today's outcome.
PLACEBO_ALPHA = 0.05


def _number(value: float, *, signed: bool = False) -> str:
    """One decimal (two below 1 in absolute value), in the language's format; ``signed`` adds
    + or − in front."""
    decimals = 1 if abs(value) >= 1 else 2
    # number_format truncates the decimals it drops: round first.
    value = round(value, decimals)
    text = number_format(abs(value) if signed else value, decimal_pos=decimals)
    if not signed:
        return text
    return ("+" if value >= 0 else "−") + text


def _effect(value: float, unit_label: str) -> str:
    if unit_label == "%":
        return _("%(value)s%%") % {"value": _number(value, signed=True)}
    if unit_label:
        return _("%(value)s %(unit)s") % {"value": _number(value, signed=True), "unit": unit_label}
    return _number(value, signed=True)


def _head(lag: int, outcome_label: str) -> str:
    if lag == 0:
        return _("Mastery shows up in %(outcome)s within the same month") % {"outcome": outcome_label}
    return ngettext(
        "Mastery shows up in %(outcome)s after %(lag)d month",
        "Mastery shows up in %(outcome)s after %(lag)d months",
        lag,
    ) % {"outcome": outcome_label, "lag": lag}


def lag_sentence(result: dict, outcome_label: str, unit_label: str) -> str:
    """The sentence of a ``kpis.engine.lag.lag_analysis`` answer. ``outcome_label`` names the outcome
    ("NPS", "Average basket"); ``unit_label`` is the unit of its slope ("NPS points", "€", "%"
    for a log fit, "" for none)."""
    figures = {"outcome": outcome_label, "teams": result["teams"], "n": result["n"]}
    reason = result["reason"]
    if reason == Reason.EFFECT:
        sentence = _(
            "%(head)s: %(effect)s per +10 points of transformation "
            "(95%% CI %(low)s to %(high)s; %(teams)d teams, %(n)d team-months)."
        ) % {
            **figures,
            "head": _head(result["best_lag"], outcome_label),
            "effect": _effect(result["slope"], unit_label),
            "low": _number(result["ci_low"]),
            "high": _number(result["ci_high"]),
        }
        parts = [sentence, _("This is an association within teams, not a proof of causation.")]
        if result["lead_test_p_value"] is not None and result["lead_test_p_value"] < PLACEBO_ALPHA:
            parts.append(
                _(
                    "Caution: future transformation rates also “predict” today's %(outcome)s "
                    "(placebo test p = %(p)s): something else may drive both."
                )
                % {"outcome": outcome_label, "p": number_format(result["lead_test_p_value"], decimal_pos=3)}
            )
        return " ".join(parts)
    if reason == Reason.NO_EFFECT:
        return _(
            "No effect of transformation on %(outcome)s is detectable yet when each team is compared with "
            "itself (lags of 0 to %(max_lag)d months; %(teams)d teams, %(n)d team-months)."
        ) % {**figures, "max_lag": result["max_lag"]}
    if reason == Reason.NO_VARIATION:
        return (
            _(
                "Transformation rates do not move within teams over this period: no lag on %(outcome)s can be "
                "measured yet."
            )
            % figures
        )
    if reason == Reason.FIT_FAILED:
        return (
            _(
                "The lag analysis of %(outcome)s could not be computed on these data "
                "(teams: %(teams)d, team-months: %(n)d)."
            )
            % figures
        )
    return _(
        "Not enough data yet to measure a lag on %(outcome)s: it takes at least %(min_teams)d teams with "
        "%(outcome)s and transformation rates over %(window)d consecutive months "
        "(teams: %(teams)d, usable team-months: %(n)d)."
    ) % {**figures, "min_teams": MIN_TEAMS, "window": result["max_lag"] + 3}
