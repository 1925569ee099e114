"""lmsform's log: its level (`-v`, `LMSFORM_LOG`), where it goes (stderr, `--log-file`) and its format
(`--log-format text|json`).

`LMSFORM_LOG` names a level as Terraform's `TF_LOG` does: TRACE, DEBUG, INFO, WARN, ERROR or OFF. `-v`
asks for INFO; the more detailed of the two wins. Without `--log-file` the log goes to stderr; with it,
the log goes to the file and stderr keeps what `-v` (or, without it, warnings) would show there.

Every line is masked for secrets and written so that quoted text (a vendor's answer, a file name)
cannot act on what reads it: in text, one line with control and bidi characters as escapes; in JSON,
one object per line, ASCII only (every other character is an escape).
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

from lmsform.characters import shown_escaped, shown_inline
from lmsform.secrets import RedactingFormatter, redact

TRACE = 5
OFF = logging.CRITICAL + 10
logging.addLevelName(TRACE, "TRACE")

LEVEL_VARIABLE = "LMSFORM_LOG"
LEVELS = {
    "TRACE": TRACE,
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARN": logging.WARNING,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "OFF": OFF,
}
LOG_FORMATS = ("text", "json")
LogFormat = Literal["text", "json"]

ROOT_LOGGER = "lmsform"
_TERMINAL_FORMAT = "%(name)s: %(message)s"
_FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# What every LogRecord holds; anything else on a record came from `extra=` and is a structured field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}


class LogSetupError(ValueError):
    """A log level or log file that cannot be used; `option` names what chose it."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.option = option


@dataclass(frozen=True)
class LogChoice:
    """What the command line and the environment ask of the log."""

    verbose: bool = False
    file: Path | None = None
    format: LogFormat = "text"


def level_named(name: str) -> int:
    """The level `LMSFORM_LOG` names (any case); LogSetupError for another word."""
    level = LEVELS.get(name.strip().upper())
    if level is None:
        raise LogSetupError(
            f"{LEVEL_VARIABLE}={name!r} is not a log level: use TRACE, DEBUG, INFO, WARN, ERROR or OFF",
            LEVEL_VARIABLE,
        )
    return level


def log_level(verbose: bool, environ: Mapping[str, str]) -> int:
    """The log's level: `LMSFORM_LOG`'s (WARN when unset or empty), or INFO for `-v` if that is more."""
    named = environ.get(LEVEL_VARIABLE, "").strip()
    level = level_named(named) if named else logging.WARNING
    return min(level, logging.INFO) if verbose else level


def configure(choice: LogChoice, environ: Mapping[str, str], stderr: TextIO) -> None:
    """Point the `lmsform` logger's records where `choice` and `environ` say, replacing earlier
    handlers (a log file of an earlier setup is closed)."""
    level = log_level(choice.verbose, environ)
    handlers: list[logging.Handler]
    if choice.file is None:
        handlers = [_handler_for(TerminalHandler(stderr), choice.format, terminal=True, level=level)]
    else:
        on_screen = logging.INFO if choice.verbose else logging.WARNING
        handlers = [
            _handler_for(LogFileHandler(choice.file), choice.format, terminal=False, level=level),
            _handler_for(TerminalHandler(stderr), "text", terminal=True, level=on_screen),
        ]
    root = logging.getLogger(ROOT_LOGGER)
    close_log_files()
    root.handlers[:] = handlers
    root.setLevel(min(handler.level for handler in handlers))
    root.propagate = False


def close_log_files() -> None:
    """Close and drop the log files the `lmsform` logger writes to."""
    root = logging.getLogger(ROOT_LOGGER)
    for handler in list(root.handlers):
        if isinstance(handler, LogFileHandler):
            root.removeHandler(handler)
            handler.close()


def _handler_for(
    handler: logging.Handler, log_format: LogFormat, *, terminal: bool, level: int
) -> logging.Handler:
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(OneLineFormatter(_TERMINAL_FORMAT if terminal else _FILE_FORMAT))
    handler.setLevel(level)
    return handler


class OneLineFormatter(RedactingFormatter):
    """A record on one line whatever its arguments hold (a vendor's id, a name); a traceback keeps its
    lines, with control and bidi characters as escapes. Times in UTC, ISO 8601."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return _utc(record)

    def formatMessage(self, record: logging.LogRecord) -> str:
        return shown_inline(redact(super().formatMessage(record)))

    def formatException(self, ei: Any) -> str:
        return shown_escaped(redact(super().formatException(ei)))

    def formatStack(self, stack_info: str) -> str:
        return shown_escaped(redact(super().formatStack(stack_info)))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, then the record's structured fields
    (what the call passed as `extra=`). Strings are masked before they are encoded, so a secret is
    masked however JSON would escape it; the encoding is ASCII, so no character can act on a reader."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update((name, value) for name, value in vars(record).items() if name not in _RECORD_ATTRIBUTES)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(_masked(entry), ensure_ascii=True, separators=(",", ":")))


def _masked(value: Any) -> Any:
    """`value` with secrets masked in every string; what JSON cannot hold as it is becomes a string."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, bool | int | float) or value is None:
        return value
    if isinstance(value, Mapping):
        return {redact(str(key)): _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return redact(str(value))


def _utc(record: logging.LogRecord) -> str:
    when = datetime.fromtimestamp(record.created, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TerminalHandler(logging.StreamHandler[TextIO]):
    """Log lines on stderr. While a live display holds the terminal (the apply progress bar), a line is
    handed to it (`printing_above`), which prints it above the bar instead of over it."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.live: Callable[[str], None] | None = None

    def on_terminal(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def emit(self, record: logging.LogRecord) -> None:
        live = self.live
        if live is None:
            super().emit(record)
            return
        try:
            live(self.format(record))
        except Exception:
            self.handleError(record)


@contextmanager
def printing_above(live: Callable[[str], None]) -> Iterator[None]:
    """While it lasts, log lines bound for a terminal go to `live` (a display's print), not to the
    terminal directly, where they would be drawn over by the display or break it."""
    handlers = [
        handler
        for handler in logging.getLogger(ROOT_LOGGER).handlers
        if isinstance(handler, TerminalHandler) and handler.on_terminal()
    ]
    for handler in handlers:
        handler.live = live
    try:
        yield
    finally:
        for handler in handlers:
            handler.live = None


class LogFileHandler(logging.StreamHandler[TextIO]):
    """Appends to the log file, made readable by its owner only (the log names learners). The path is
    the command line's, but a file a pull request put there may be in its place: a symbolic link or
    anything but a regular file is refused, so the log cannot be written through it elsewhere."""

    def __init__(self, path: Path) -> None:
        super().__init__(_open_log_file(path))


def _open_log_file(path: Path) -> TextIO:
    flags = (
        os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    )
    try:
        descriptor = os.open(path, flags, 0o600)
    except OSError as error:
        reason = "it is a symbolic link" if path.is_symlink() else (error.strerror or str(error))
        raise LogSetupError(f"cannot write the log to {path}: {reason}", "--log-file") from None
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise LogSetupError(f"cannot write the log to {path}: it is not a regular file", "--log-file")
    return os.fdopen(descriptor, "a", encoding="utf-8")
