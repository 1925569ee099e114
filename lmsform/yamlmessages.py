"""What lmsform says about YAML it cannot read: a place, and words a person understands."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from ruamel.yaml.constructor import ConstructorError
from ruamel.yaml.error import MarkedYAMLError

from lmsform.errors import Issue, Location

# How alike a name must be to one lmsform knows to be suggested (difflib's ratio): a letter left out or
# doubled in a word, not another word that shares most of its letters.
_CLOSE = 0.85
_LONGEST_KEY = 1024  # libyaml's limit on a key written without `?`
# libyaml's words for problems people make often, and what to say instead.
_CLEARER = {
    "but found another document": "a second YAML document starts here: a manifest file holds one document "
    "(put the second in a file of its own)",
    "expected a mapping or list of mappings for merging, but found scalar": "a merge key (<<) takes a "
    "mapping or a list of mappings, such as <<: *defaults",
}


def syntax_issue(error: MarkedYAMLError, text: str, shown_as: Path) -> Issue:
    """A parser's or constructor's error as file:line:column and a message a person understands."""
    mark = error.problem_mark or error.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    if _character_at(text, line, column) == "\t":
        return Issue(Location(shown_as, line, column), "a tab character: YAML indents with spaces, not tabs")
    if isinstance(error, ConstructorError) and error.context is None:
        return Issue(Location(shown_as, line, column), str(error.problem))
    started = error.context_mark
    if (
        error.problem == "could not find expected ':'"
        and started is not None
        and mark is not None
        and started.line == mark.line
        and mark.column - started.column >= _LONGEST_KEY
    ):
        return Issue(
            Location(shown_as, started.line + 1, started.column + 1),
            f"a key longer than {_LONGEST_KEY} characters: YAML does not read one (is a colon missing?)",
        )
    if error.problem in _CLEARER:
        return Issue(Location(shown_as, line, column), _CLEARER[error.problem])
    problem = error.problem or error.context or "invalid YAML"
    if error.problem and error.context and started is not None:
        problem += f" ({error.context} at line {started.line + 1}, column {started.column + 1})"
    return Issue(Location(shown_as, line, column), f"YAML syntax error: {problem}")


def _character_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    if 0 < line <= len(lines) and 0 < column <= len(lines[line - 1]):
        return lines[line - 1][column - 1]
    return ""


def shown_key(key: Any) -> str:
    """A mapping key as a message quotes it, cut short."""
    return repr(shortened(key)) if isinstance(key, str) else shortened(repr(key))


def shortened(text: str, limit: int = 60) -> str:
    """`text`, cut to `limit` characters: a name echoed in a message need not be a megabyte long."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` naming the choices closest to `name`, one that differs only in case
    first, or nothing when none is close."""
    by_case = {choice.casefold(): choice for choice in choices if choice != name}
    close = get_close_matches(name.casefold(), list(by_case), n=3, cutoff=_CLOSE)
    found = [repr(shortened(by_case[choice])) for choice in close]
    return f"; did you mean {' or '.join(found)}?" if found else ""


def what_it_is(value: Any) -> str:
    """`a list`, `a number`...: the YAML type of a value, for messages."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a mapping"
    return "a date" if isinstance(value, date) else type(value).__name__
