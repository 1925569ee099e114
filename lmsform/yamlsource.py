"""Read YAML files keeping where every value came from, so errors can say file:line:column."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from lmsform.errors import Issue, Location, ManifestError

M = TypeVar("M", bound=BaseModel)
_ENV_REFERENCE = re.compile(r"\$\$|\$\{([^}]*)\}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STR_TAG = "tag:yaml.org,2002:str"
_BUILTIN_SCALARS = frozenset({str, int, float, bool, type(None)})


@dataclass(frozen=True)
class Document:
    """One parsed YAML file: its round-trip tree (which knows positions) and its path for messages."""

    path: Path
    shown_as: Path
    root: Any

    def location(self, node: Any, loc: tuple[str | int, ...] = (), *, at_key: bool = False) -> Location:
        line, column = position(node, loc, at_key=at_key)
        return Location(self.shown_as, line, column)


class _PositionedConstructor(SafeConstructor):
    """YAML's safe types, with mappings and sequences that know where each of their values stood.

    The round-trip loader also keeps comments, which manifests never need and which made it the
    slowest step of a large plan; this keeps only the positions (and runs on libyaml when
    ruamel.yaml.clib is installed).
    """

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        # Most values of a large manifest are plain strings: they need no constructor lookup.
        if node.__class__ is ScalarNode and node.ctag.value == _STR_TAG:
            return node.value
        return super().construct_object(node, deep=deep)

    def construct_positioned_map(self, node: MappingNode) -> Iterator[CommentedMap]:
        data = CommentedMap()
        positions = data.lc
        positions.line, positions.col = node.start_mark.line, node.start_mark.column
        yield data
        data.update(self.construct_mapping(node))
        for key_node, value_node in node.value:  # merged (`<<`) entries first, then the node's own
            key = self.construct_object(key_node, deep=True)
            key_at, value_at = key_node.start_mark, value_node.start_mark
            positions.add_kv_line_col(
                tuple(key) if isinstance(key, list) else key,
                [key_at.line, key_at.column, value_at.line, value_at.column],
            )

    def construct_positioned_seq(self, node: SequenceNode) -> Iterator[CommentedSeq]:
        data = CommentedSeq()
        positions = data.lc
        positions.line, positions.col = node.start_mark.line, node.start_mark.column
        yield data
        data.extend(self.construct_sequence(node))
        for index, child in enumerate(node.value):
            positions.add_idx_line_col(index, [child.start_mark.line, child.start_mark.column])


class _OnceVersionedResolver(VersionedResolver):
    """Picks the YAML version's rules once per document, not again for every scalar."""

    @property
    def versioned_resolver(self) -> Any:
        rules = self.__dict__.get("_rules")
        if rules is None:
            rules = self.__dict__["_rules"] = super().versioned_resolver
        return rules


_PositionedConstructor.add_constructor(
    "tag:yaml.org,2002:map", _PositionedConstructor.construct_positioned_map
)
_PositionedConstructor.add_constructor(
    "tag:yaml.org,2002:seq", _PositionedConstructor.construct_positioned_seq
)


def _parser() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.Constructor = _PositionedConstructor
    yaml.Resolver = _OnceVersionedResolver
    return yaml


def load(path: Path, shown_as: Path) -> Document:
    yaml = _parser()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ManifestError([Issue(Location(shown_as, 1, 1), f"not UTF-8 text: {error.reason}")]) from None
    try:
        root = yaml.load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = error.problem or error.context or "invalid YAML"
        started = error.context_mark
        if error.problem and error.context and started is not None:
            problem += f" ({error.context} at line {started.line + 1}, column {started.column + 1})"
        raise ManifestError(
            [Issue(Location(shown_as, line, column), f"YAML syntax error: {problem}")]
        ) from None
    except YAMLError as error:
        raise ManifestError([Issue(Location(shown_as, 1, 1), f"YAML error: {error}")]) from None
    return Document(path=path, shown_as=shown_as, root=root)


def position(node: Any, loc: tuple[str | int, ...], *, at_key: bool = False) -> tuple[int, int]:
    """The 1-based line and column of the value at `loc` below `node`, or of the nearest parent.

    With `at_key`, a mapping entry is located at its key (for "unknown field" errors).
    """
    line, column = _own_position(node)
    current = node
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(current, CommentedMap) and part in current:
            row, col = current.lc.key(part) if (at_key and last) else current.lc.value(part)
            line, column = row + 1, col + 1
            current = current[part]
        elif isinstance(current, CommentedSeq) and isinstance(part, int) and 0 <= part < len(current):
            row, col = current.lc.item(part)
            line, column = row + 1, col + 1
            current = current[part]
        else:
            break
    return line, column


def _own_position(node: Any) -> tuple[int, int]:
    if isinstance(node, (CommentedMap, CommentedSeq)):
        return node.lc.line + 1, node.lc.col + 1
    return 1, 1


def interpolate_environment(document: Document, environ: Mapping[str, str] | None = None) -> list[Issue]:
    """Replace `${NAME}` in every string value with the environment variable, in place.

    `$$` stands for a literal `$`. A missing variable is an issue at the value that names it.
    """
    env = os.environ if environ is None else environ
    issues: list[Issue] = []

    def substitute(text: str, where: Location) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            name = match.group(1)
            if not _ENV_NAME.fullmatch(name):
                issues.append(Issue(where, f"invalid environment reference ${{{name}}}"))
                return ""
            if name not in env:
                issues.append(Issue(where, f"environment variable {name} is not set"))
                return ""
            return env[name]

        return _ENV_REFERENCE.sub(replace, text)

    def walk(node: Any) -> None:
        if isinstance(node, CommentedMap):
            for key in list(node.keys()):
                value = node[key]
                if isinstance(value, str) and "$" in value:
                    node[key] = substitute(str(value), document.location(node, (key,)))
                else:
                    walk(value)
        elif isinstance(node, CommentedSeq):
            for index, value in enumerate(node):
                if isinstance(value, str) and "$" in value:
                    node[index] = substitute(str(value), document.location(node, (index,)))
                else:
                    walk(value)

    walk(document.root)
    return issues


def plain(node: Any) -> Any:
    """The same data as built-in dicts, lists and scalars, for validation."""
    if type(node) in _BUILTIN_SCALARS:
        return node
    if isinstance(node, Mapping):
        return {plain(key): plain(value) for key, value in node.items()}
    if isinstance(node, list):
        # The list's own items: iterating a CommentedSeq goes through Python-level indexing per item.
        return [plain(item) for item in list.__iter__(node)]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def validate_node(
    model: type[M],
    data: Any,
    document: Document,
    node: Any,
    prefix: tuple[str | int, ...],
    issues: list[Issue],
    expected: Iterable[str] | None = None,
) -> M | None:
    """`data` (a node of `document`, below `node` at `prefix`) as a `model`, or None with the issues.

    `expected` lists the fields to suggest for an unknown one (default: all of the model's).
    """
    try:
        return model.model_validate(plain(data))
    except ValidationError as error:
        for problem in error.errors(include_input=False, include_url=False):
            loc = prefix + tuple(problem["loc"])
            unknown = problem["type"] == "extra_forbidden"
            issues.append(
                Issue(
                    document.location(node, loc, at_key=unknown), _describe(problem, prefix, model, expected)
                )
            )
        return None


def _describe(
    problem: Mapping[str, Any],
    prefix: tuple[str | int, ...],
    model: type[BaseModel],
    expected: Iterable[str] | None,
) -> str:
    """A pydantic error in plain words, naming the field but never echoing the value (it may be secret)."""
    named = [str(part) for part in prefix if isinstance(part, str)] + [str(part) for part in problem["loc"]]
    dotted = ".".join(named)
    kind = problem["type"]
    if kind == "missing":
        return f"{dotted}: required field is missing"
    if kind == "extra_forbidden":
        fields = [name for name in model.model_fields if expected is None or name in set(expected)]
        allowed = ", ".join(fields) if len(problem["loc"]) == 1 else None
        return f"unknown field {dotted!r}" + (f" (expected one of: {allowed})" if allowed else "")
    message = str(problem["msg"]).removeprefix("Value error, ")
    return f"{dotted}: {message}" if dotted else message
