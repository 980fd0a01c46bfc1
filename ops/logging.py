"""Log records as one JSON object per line, each carrying the id of its request.

The request id is set by ops.middleware.RequestLogMiddleware for the duration of a request
(a context variable, so threads and workers never mix them up); every record logged while
the request runs, from any logger, carries it. Outside a request it is "-".
"""

import json
import logging
from contextvars import ContextVar
from datetime import datetime, timezone

request_id_var = ContextVar("request_id", default="-")

# Attributes every LogRecord has; whatever else a record carries came through `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# The request object Django attaches: its id and path are already in the line.
_SKIPPED = {"request"}
_NOT_EXTRA = frozenset(_STANDARD | _SKIPPED)
# One encoder for every line: json.dumps() with options builds a new one each time.
_encode = json.JSONEncoder(default=str, ensure_ascii=False).encode


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        if not hasattr(record, "request_id"):
            # Django logs 4xx and 5xx answers with the request attached, sometimes after
            # the middleware that set the context variable has returned.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "id", None) or request_id_var.get()
        return True


class RefusalWithoutTraceback(logging.Filter):
    """A request answered with a 4xx is logged in one line, without a traceback.

    Django logs a refused request (403 PermissionDenied, 400 BadRequest or
    SuspiciousOperation) with the exception that refused it: its traceback says nothing
    about our code, and hostile clients could fill the logs with them. The line keeps the
    message, the status and the request id; errors (5xx) keep their tracebacks.
    """

    def filter(self, record):
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500 and record.exc_info:
            record.exc_info = None
            record.exc_text = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record):
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _NOT_EXTRA and key not in entry and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return _encode(entry)


class NoServerRequestLines(logging.Filter):
    """Drop runserver's line for each request: ops.request has already logged it."""

    def filter(self, record):
        return not hasattr(record, "status_code")
