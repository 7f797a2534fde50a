"""The executive transformation dashboard: a unit's deployment and transformation against its
customers' figures over a span of months.

``board`` holds the page's parts and its cached answer (``answer``: what it holds, its key); the
parts are read through the engine (``reads``) and made into the tiles and the units table
(``summary``), the trend (``trend``), the teams' scatter (``teams``) and the lag analysis (``lag``),
drawn by ``figures``; ``forms`` holds the filters, ``page`` what the page shows around the board.
"""
