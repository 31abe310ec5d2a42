"""Logging to stderr, one JSON object per line (stdout belongs to the protocol).

The host forwards these lines into its own log (tracing), so each line must be
a complete, parseable record: time, level, logger, message, and the traceback
when there is one.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Annotated, Literal

import msgspec

from .protocol.names import members, named

LogLevel = Annotated[Literal["debug", "info", "warning", "error"], named("LogLevel")]
# The names themselves, for --log-level's choices and for checking a level read back from logging.
LOG_LEVELS: tuple[LogLevel, ...] = members(LogLevel)

_encode = msgspec.json.Encoder().encode


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return _encode(entry).decode()


def configure(level: LogLevel) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLineFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    set_level(level)


def set_level(level: LogLevel) -> None:
    logging.getLogger().setLevel(level.upper())
