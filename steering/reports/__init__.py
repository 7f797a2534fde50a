"""The steering reports: their periods, what they hold, how each KPI is read, the builder, their
words, charts, exports, e-mails, pages and API."""
