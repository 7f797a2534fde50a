"""Lag analysis (SPEC §4): after what delay, and by how much, does transformation show up in an
outcome, comparing each team with itself.

A pooled correlation across teams mistakes what differs between teams for other reasons (large
stores have both more mastery and a higher NPS) for an effect. Here a two-way fixed-effects
distributed-lag regression (``linearmodels.PanelOLS``: team and month effects, standard errors
clustered by team) regresses the outcome of month t on the transformation rate of months t−k for
every k in −2…max_lag jointly. The two leads (k < 0) are a placebo: future mastery must not
"predict" today's outcome, and ``lead_test_p_value`` tests that they are both zero.

No Django here: the API (kpis.api_lag) builds the panel and kpis.engine.lag_text writes the sentence.

The panel: one row per (team, month) with columns

- ``team``: any hashable id;
- ``month``: an int month index where consecutive months differ by 1, or a
  ``cxtracker.months.Month`` (turned into ``year × 12 + month − 1``);
- ``rate``: the team's transformation rate at the end of that month, a share in [0, 1] (NaN when
  unknown);
- ``outcome``: the outcome of that team-month (NaN when unknown: the row still supplies its rate
  to the lags of later months);
- ``n``: the outcome's sample size (survey KPIs), None/NaN for business metrics.

Lags are built within a team on calendar months: the rate "one month before" a month that follows
a gap is missing, never the previous row. A row enters the fit when its outcome and the rates of
all the k = −2…max_lag months exist (and, weighted, when n ≥ min_n).

Units: ``slope`` is in outcome units per +10 points of transformation (the coefficient × 0.1, the
rate being a share). With ``log_outcome`` the fit is on log(outcome) and the slope is in % per
+10 points, computed exactly as 100 × (exp(0.1 β) − 1) (and so for the interval's ends), not
approximated by 10 β.

Too little data never raises: the answer then has ``best_lag`` None, an empty curve and a
``reason`` saying why (see ``Reason``); bad arguments (missing columns, max_lag out of 0…12, a
non-positive outcome under ``log_outcome``) are programming errors and raise ValueError.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

LEADS = 2
MAX_LAG = 12
# Below 3 teams there is no "compared with itself" worth clustering on.
MIN_TEAMS = 3
# Residual degrees of freedom left after the team and month effects and the k coefficients.
MIN_RESIDUAL_DF = 10
# +10 points of transformation, the rate being a share in [0, 1].
STEP = 0.1
Z95 = 1.959963984540054  # the 97.5 % quantile of the normal law


class Reason:
    """Why the answer is what it is: the code kpis.engine.lag_text turns into a sentence."""

    EFFECT = "effect"  # best_lag found
    NO_EFFECT = "no_effect"  # fitted, but no lag ≥ 0 has an interval excluding 0 in the good direction
    NO_DATA = "no_data"  # no team-month with the outcome and all its lagged rates
    TOO_FEW_TEAMS = "too_few_teams"  # fewer than MIN_TEAMS teams in the fit
    TOO_FEW_ROWS = "too_few_rows"  # fewer than MIN_RESIDUAL_DF degrees of freedom left
    NO_VARIATION = "no_variation"  # a lagged rate does not move within teams (absorbed by the effects)
    FIT_FAILED = "fit_failed"  # the estimator failed or gave no finite standard errors


def lag_name(k: int) -> str:
    return f"lead{-k}" if k < 0 else f"lag{k}"


def month_index(month) -> int:
    """An int month index, or a ``Month`` (anything with ``year`` and ``month``) turned into one."""
    if hasattr(month, "year") and hasattr(month, "month"):
        return int(month.year) * 12 + int(month.month) - 1
    return int(month)


def lagged_panel(panel: pd.DataFrame, *, max_lag: int) -> pd.DataFrame:
    """The rows with an outcome, with one column ``rate_<lag_name(k)>`` = the team's rate of month
    t − k for k = −2…max_lag (NaN when that month has no rate); ``month`` as an int index."""
    missing = {"team", "month", "rate", "outcome", "n"} - set(panel.columns)
    if missing:
        raise ValueError(f"panel lacks columns: {sorted(missing)}")
    frame = panel[["team", "month", "rate", "outcome", "n"]].copy()
    frame["month"] = [month_index(m) for m in frame["month"]]
    frame["rate"] = pd.to_numeric(frame["rate"], errors="coerce").astype(float)
    frame["outcome"] = pd.to_numeric(frame["outcome"], errors="coerce").astype(float)
    frame["n"] = pd.to_numeric(frame["n"], errors="coerce").astype(float)
    if frame.duplicated(["team", "month"]).any():
        raise ValueError("panel has several rows for one (team, month)")

    rates = frame.loc[frame["rate"].notna(), ["team", "month", "rate"]]
    out = frame.loc[frame["outcome"].notna(), ["team", "month", "outcome", "n"]]
    for k in range(-LEADS, max_lag + 1):
        # The rate of month t − k sits on the row of month t: shift the month forward by k.
        shifted = rates.assign(month=rates["month"] + k).rename(columns={"rate": f"rate_{lag_name(k)}"})
        out = out.merge(shifted, on=["team", "month"], how="left")
    return out.sort_values(["team", "month"]).reset_index(drop=True)


def _empty(reason: str, *, outcome, method, max_lag, log_outcome, n=0, teams=0) -> dict:
    return {
        "outcome": outcome,
        "method": method,
        "reason": reason,
        "max_lag": max_lag,
        "log_outcome": log_outcome,
        "best_lag": None,
        "slope": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "r": None,
        "n": int(n),
        "teams": int(teams),
        "months": 0,
        "lead_test_p_value": None,
        "cumulative": None,
        "curve": [],
    }


def _method(*, max_lag: int, weighted: bool, log_outcome: bool) -> str:
    parts = [
        "Two-way fixed-effects distributed-lag regression (linearmodels PanelOLS): "
        f"outcome of month t on the transformation rate of months t-k, k = -{LEADS}..{max_lag} jointly "
        "(leads are a placebo), team and month effects, standard errors clustered by team",
    ]
    if weighted:
        parts.append("weighted by the outcome's n, low-sample team-months left out")
    if log_outcome:
        parts.append("log outcome, slopes in % per +10 points of transformation (100 x (exp(0.1 b) - 1))")
    else:
        parts.append("slopes in outcome units per +10 points of transformation (0.1 b)")
    return "; ".join(parts) + "."


def _scale(beta: float, log_outcome: bool) -> float:
    """A coefficient (per +1.0 of rate) as the effect of +10 points, in outcome units or in %."""
    if log_outcome:
        return 100.0 * math.expm1(STEP * beta)
    return STEP * beta


def _correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Pearson correlation; None when one side does not vary."""
    a, b = a - a.mean(), b - b.mean()
    denom = math.sqrt(float(a @ a) * float(b @ b))
    return None if denom <= 1e-12 else float(a @ b) / denom


def _within_correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Correlation of two series already demeaned (two-way, weights folded in as √w): no mean
    to remove."""
    denom = math.sqrt(float(a @ a) * float(b @ b))
    return None if denom <= 1e-12 else float(a @ b) / denom


def _fit_rows(panel: pd.DataFrame, columns, *, max_lag, weighted, min_n, log_outcome) -> pd.DataFrame:
    """The panel's rows the fit takes: with the outcome and every lag (and, weighted, an n of at
    least ``min_n``), the outcome in logs when asked."""
    data = lagged_panel(panel, max_lag=max_lag)
    if weighted:
        data = data[data["n"].notna() & (data["n"] > 0)]
        if min_n is not None:
            data = data[data["n"] >= min_n]
    data = data.dropna(subset=["outcome", *columns])
    if log_outcome:
        if (data["outcome"] <= 0).any():
            raise ValueError("log_outcome needs positive outcome values")
        data = data.assign(outcome=np.log(data["outcome"]))
    return data


def _cumulative(params: np.ndarray, cov: np.ndarray, lags: list[int], *, log_outcome: bool, norm) -> dict:
    """The cumulative effect of k = 0…max_lag: the sum of those coefficients, its variance 1'V1."""
    pick = np.array([k >= 0 for k in lags], dtype=float)
    total = float(pick @ params)
    total_se = math.sqrt(max(float(pick @ cov @ pick), 0.0))
    return {
        "slope": _scale(total, log_outcome),
        "ci_low": _scale(total - Z95 * total_se, log_outcome),
        "ci_high": _scale(total + Z95 * total_se, log_outcome),
        "p_value": float(2 * norm.sf(abs(total) / total_se)) if total_se > 0 else None,
    }


def _best(curve: list[dict], cumulative: dict, *, higher_is_better: bool) -> dict | None:
    """The lag ≥ 0 with the strongest effect in the good direction whose interval excludes 0.

    Seven lags with their own 95% intervals would find an effect in about one panel in five that
    has none: a lag counts only when the cumulative effect also excludes 0 in the good direction
    (simulated: 1 false effect in 100 null panels, the true one found 100 times in 100)."""
    sign = 1.0 if higher_is_better else -1.0

    def good(entry) -> bool:
        return entry["ci_low"] > 0 if higher_is_better else entry["ci_high"] < 0

    candidates = [entry for entry in curve if entry["lag"] >= 0 and good(entry)] if good(cumulative) else []
    return max(candidates, key=lambda entry: sign * entry["slope"], default=None)


def lag_analysis(
    panel: pd.DataFrame,
    *,
    max_lag: int = 6,
    weighted: bool,
    log_outcome: bool,
    higher_is_better: bool,
    min_n: int | None,
    outcome: str | None = None,
) -> dict:
    """The lag answer of SPEC §8 (without ``sentence``): best_lag, its slope, 95% interval,
    p-value and within-team r, n, teams, the leads' joint test, the cumulative effect of lags
    0…max_lag and the curve (one entry per k = −2…max_lag). ``outcome`` is only echoed back."""
    # Imported here: linearmodels and scipy take seconds to import, and every web worker would
    # pay for them at its first request (the URLconf imports this module).
    from linearmodels import PanelOLS
    from linearmodels.panel.data import PanelData
    from scipy import stats

    if not 0 <= max_lag <= MAX_LAG:
        raise ValueError(f"max_lag must be in 0..{MAX_LAG}, not {max_lag}")
    method = _method(max_lag=max_lag, weighted=weighted, log_outcome=log_outcome)
    common = {"outcome": outcome, "method": method, "max_lag": max_lag, "log_outcome": log_outcome}
    lags = list(range(-LEADS, max_lag + 1))
    columns = [f"rate_{lag_name(k)}" for k in lags]

    data = _fit_rows(panel, columns, max_lag=max_lag, weighted=weighted, min_n=min_n, log_outcome=log_outcome)
    n, teams, months = len(data), data["team"].nunique(), data["month"].nunique()
    if n == 0:
        return _empty(Reason.NO_DATA, **common)
    if teams < MIN_TEAMS:
        return _empty(Reason.TOO_FEW_TEAMS, **common, n=n, teams=teams)
    if n - teams - (months - 1) - len(lags) < MIN_RESIDUAL_DF:
        return _empty(Reason.TOO_FEW_ROWS, **common, n=n, teams=teams)

    indexed = data.set_index(["team", "month"])
    exog = indexed[columns]
    weights = indexed["n"] if weighted else None

    # Rates that do not move within teams are absorbed by the team effects: nothing to estimate.
    exog_panel = PanelData(exog)
    weights_panel = PanelData(weights.to_frame()) if weighted else None
    demeaned_x = exog_panel.demean("both", weights=weights_panel).values2d
    if (np.sqrt((demeaned_x**2).sum(axis=0)) < 1e-8).any():
        return _empty(Reason.NO_VARIATION, **common, n=n, teams=teams)

    try:
        model = PanelOLS(indexed["outcome"], exog, weights=weights, entity_effects=True, time_effects=True)
        fit = model.fit(cov_type="clustered", cluster_entity=True)
        params = fit.params
        cov = fit.cov.loc[columns, columns].to_numpy()
        ci = fit.conf_int(level=0.95)
        pvalues = fit.pvalues
        # The placebo: both leads jointly zero (they are the first LEADS coefficients).
        lead_test = fit.wald_test(restriction=np.eye(len(lags))[:LEADS], value=np.zeros(LEADS))
    except Exception:  # any estimator failure (rank, singular covariance) is "could not fit", never a 500
        return _empty(Reason.FIT_FAILED, **common, n=n, teams=teams)
    if not (np.isfinite(fit.std_errors.to_numpy()).all() and (fit.std_errors.to_numpy() > 0).all()):
        return _empty(Reason.FIT_FAILED, **common, n=n, teams=teams)

    demeaned_y = PanelData(indexed[["outcome"]]).demean("both", weights=weights_panel).values2d[:, 0]
    curve = []
    for i, k in enumerate(lags):
        name = columns[i]
        curve.append(
            {
                "lag": k,
                "slope": _scale(float(params[name]), log_outcome),
                "ci_low": _scale(float(ci.loc[name, "lower"]), log_outcome),
                "ci_high": _scale(float(ci.loc[name, "upper"]), log_outcome),
                "p_value": float(pvalues[name]),
                "r": _within_correlation(demeaned_y, demeaned_x[:, i]),
                "pooled_r": _correlation(data["outcome"].to_numpy(), data[name].to_numpy()),
                "n": n,
            }
        )

    cumulative = _cumulative(params[columns].to_numpy(), cov, lags, log_outcome=log_outcome, norm=stats.norm)
    best = _best(curve, cumulative, higher_is_better=higher_is_better)
    answer = {
        "outcome": outcome,
        "method": method,
        "reason": Reason.EFFECT if best else Reason.NO_EFFECT,
        "max_lag": max_lag,
        "log_outcome": log_outcome,
        "best_lag": best["lag"] if best else None,
        "slope": best["slope"] if best else None,
        "ci_low": best["ci_low"] if best else None,
        "ci_high": best["ci_high"] if best else None,
        "p_value": best["p_value"] if best else None,
        "r": best["r"] if best else None,
        "n": n,
        "teams": int(teams),
        "months": int(months),
        "lead_test_p_value": float(lead_test.pval),
        "cumulative": cumulative,
        "curve": curve,
    }
    return answer
