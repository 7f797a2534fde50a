"""The KPI explorer: what the customers of a unit say, over a span of months (``views``); its filters
(``forms``), its figures read through the engine (``board``) and drawn (``figures``), what its page
shows of them (``page``), and the customers' comments (``comments``)."""
