"""Logging filters.

Django logs every 4xx answer to ``django.request`` as a warning, and a refusal by exception
(PermissionDenied, SuspiciousOperation…) with the exception's traceback: one 403 printed some
twenty lines in the server log. A refusal is the application working as meant, not a fault: one
line is enough. 5xx keep their traceback.
"""

import logging


class ClientErrorWithoutTraceback(logging.Filter):
    """Drop the traceback of a record about a 4xx response; keep the record itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
