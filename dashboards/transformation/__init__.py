"""The executive transformation dashboard: a unit's deployment and transformation against its
customers' figures over a span of months (``board``), its filters (``forms``) and its Plotly
figures (``figures``)."""
