"""The service's log lines: human by default, one JSON object per line with ``--log-format json``.

Every line carries the target, and the campaign and operation id when it is
about one. Nothing logged here ever holds a token, a secret or a request
header: callers pass names and ids, never credentials.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, TextIO

__all__ = ["FIELDS", "JsonFormatter", "TextFormatter", "log", "setup"]

LOGGER = logging.getLogger("reconciler.service")
FIELDS = ("target", "campaign", "operation")


def log(level: int, message: str, **fields: Any) -> None:
    """One log line; ``fields`` (campaign, operation, ...) travel as structured data."""
    LOGGER.log(level, message, extra={"fields": {k: v for k, v in fields.items() if v is not None}})


def _stamp(record: logging.LogRecord) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"


class JsonFormatter(logging.Formatter):
    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "fields", {})
        return json.dumps(
            {
                "time": _stamp(record),
                "level": record.levelname.lower(),
                "message": record.getMessage(),
                "target": self.target,
                **fields,
            },
            default=str,
        )


class TextFormatter(logging.Formatter):
    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = getattr(record, "fields", {})
        where = " ".join(f"{k}={fields[k]}" for k in ("campaign", "operation") if k in fields)
        extra = " ".join(f"{k}={v}" for k, v in fields.items() if k not in FIELDS)
        parts = [_stamp(record), record.levelname.lower(), record.getMessage(), where, extra]
        return " ".join(p for p in parts if p)


def setup(fmt: str, target: str, stream: TextIO | None = None) -> logging.Handler:
    """Route the service's log lines to ``stream`` (stderr) in ``fmt`` (text or json)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter(target) if fmt == "json" else TextFormatter(target))
    LOGGER.handlers[:] = [handler]
    LOGGER.setLevel(logging.INFO)
    LOGGER.propagate = False
    return handler
