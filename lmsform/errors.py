"""The errors lmsform reports to people, each saying where the problem is."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Location:
    """A position in a manifest file; line and column count from 1, as editors show them."""

    file: Path
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Issue:
    """One problem found in the manifests."""

    location: Location | None
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class LmsformError(Exception):
    """Base of every error that ends a command with a clear message and exit code 1."""

    def lines(self) -> list[str]:
        """The message as the lines to print. Each is printed with its line breaks shown as escapes,
        since text quoted from a manifest, a vendor or a file name must not start a line of its own:
        an error of several lines says which they are here."""
        return [str(self)]


class ManifestError(LmsformError):
    """The manifests are invalid; carries every issue found, not only the first."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = sorted(issues, key=_issue_order)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [str(issue) for issue in self.issues]


def _issue_order(issue: Issue) -> tuple[str, int, int, str]:
    if issue.location is None:
        return ("", 0, 0, issue.message)
    return (str(issue.location.file), issue.location.line, issue.location.column, issue.message)


class PlanFileError(LmsformError):
    """A saved plan cannot be read."""


class StalePlanError(LmsformError):
    """A saved plan no longer matches the manifests or the live account; nothing was changed."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        return [
            "stale plan: it no longer matches what it was made from; nothing was changed.",
            *(f"  - {reason}" for reason in self.reasons),
            "Run `lmsform plan` again and review the new plan.",
        ]


class UnsafePlanError(LmsformError):
    """The plan breaks a safety rule (threshold, protected object); nothing was changed."""

    def __init__(self, reasons: list[str], *, forceable: bool) -> None:
        self.reasons = reasons
        self.forceable = forceable
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        hint = ["Re-run with --force if this is intended."] if self.forceable else []
        return ["unsafe plan, nothing was changed:", *(f"  - {reason}" for reason in self.reasons), *hint]


class ProviderError(LmsformError):
    """A vendor API call failed: names the vendor, kind, key, HTTP status and the vendor's message."""

    def __init__(
        self,
        *,
        vendor: str,
        message: str,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
        kind: str | None = None,
        key: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.vendor = vendor
        # Seconds the vendor asked to wait before trying again (its `Retry-After`), if it said.
        self.retry_after = retry_after
        self.status = status
        self.method = method
        self.path = path
        self.kind = kind
        self.key = key
        self.vendor_message = message
        super().__init__(self._describe())

    def _describe(self) -> str:
        subject = self.key or self.kind
        if self.kind and self.key and not self.key.startswith(f"{self.kind}["):
            subject = f"{self.kind} {self.key}"
        return f"{self.vendor}{' ' + subject if subject else ''}: {self._message_and_call()}"

    @property
    def detail(self) -> str:
        """The error without the object it concerns, for lines that already name it."""
        return f"{self.vendor}: {self._message_and_call()}"

    def _message_and_call(self) -> str:
        call = f"{self.method} {self.path}" if self.method and self.path else None
        status = f"HTTP {self.status}" if self.status is not None else None
        context = ", ".join(part for part in (call, status) if part)
        return self.vendor_message + (f" ({context})" if context else "")


def relative(path: Path, root: Path | None = None) -> Path:
    """Show manifest paths relative to the working directory when they are below it.

    A symbolic link is shown by its own name, not by where it leads (which may be a loop), and so is
    a file in a linked folder: `people/jane.yaml`, as the project shows it.
    """
    base = (root or Path.cwd()).resolve()
    for candidate in (Path(os.path.abspath(path)), path.parent.resolve() / path.name):
        if candidate.is_relative_to(base):
            return candidate.relative_to(base)
    return path
