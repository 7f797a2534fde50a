"""gunicorn settings of bench/dashboard.py's server (passed with ``-c``, the server runs ``--preload``).

With ``--preload`` the application is loaded once, in the master, before the workers are forked.
``when_ready`` also loads there what each worker would otherwise load on its first dashboard, so
that no request pays for start-up (the "cold" figures are those of a long-running server whose
cache is empty, after a recomputation): the URLconf (every view module and what they import), the
lag fit's estimator (linearmodels imports its submodules on first use: about 2 s), warmed on a
small made-up panel, and Plotly's validators of the traces the dashboards draw (imported on first
use too). The forked workers inherit all of it.
"""


def when_ready(server):
    import numpy as np
    import pandas as pd
    from django.urls import get_resolver

    from kpis.engine.lag import lag_analysis

    get_resolver().url_patterns  # noqa: B018 - imported for the side effect
    rng = np.random.default_rng(0)
    panel = pd.DataFrame(
        [
            {"team": team, "month": month, "rate": rng.random(), "outcome": rng.normal(), "n": 50}
            for team in range(5)
            for month in range(16)
        ]
    )
    lag_analysis(panel, max_lag=2, weighted=True, log_outcome=False, higher_is_better=True, min_n=30)

    import plotly.graph_objects as go

    figure = go.Figure()
    figure.add_scatter(x=[1, 2], y=[1, 2], yaxis="y2", error_y={"type": "data", "array": [0.1, 0.1]})
    figure.add_bar(x=[1, 2], y=["a", "b"], orientation="h")
    figure.add_heatmap(z=[[1, 2], [3, 4]])
    figure.update_layout(
        template=go.layout.Template(),
        yaxis2={"overlaying": "y", "side": "right"},
        yaxis3={"overlaying": "y", "anchor": "free", "autoshift": True},
        shapes=[{"type": "line", "x0": 0, "x1": 1, "y0": 0, "y1": 1}],
        annotations=[{"text": "a", "x": 0, "y": 0}],
    )
    figure.to_plotly_json()
