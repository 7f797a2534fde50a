"""The KPI explorer: what the customers of a unit say, over a span of months (``views``), its
filters (``forms``) and its figures (``figures``)."""
