"""The team pages: a manager's home (their teams this month), the team list, a team's page and the
manager's team dashboard with its charts' CSVs. They show the engine's figures, read for whoever
is reading (``selectors``), beside the field data the reader may see (deployment.selectors)."""
