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
from ruamel.yaml.constructor import ConstructorError, SafeConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from ruamel.yaml.resolver import VersionedResolver

from lmsform import secrets
from lmsform.characters import REFUSED, describe, text_issues
from lmsform.errors import Issue, Location, ManifestError, relative
from lmsform.sourcefile import read_text
from lmsform.variables import VariableAccess, VariableReference
from lmsform.yamllimits import ProjectLimitError, ProjectValues, check_shape
from lmsform.yamlmessages import did_you_mean, shortened, shown_key, syntax_issue, what_it_is

M = TypeVar("M", bound=BaseModel)
_ENV_REFERENCE = re.compile(r"\$\$|\$\{([^}]*)\}")
# A line break in a variable is nearly always a stray one, and would end up in an HTTP header or a name.
_REFUSED_IN_VARIABLES = re.compile(f"{REFUSED.pattern}|[\r\n]")
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

    def _made_of(self, node: Node) -> Any:
        """What `construct_object` made of a node already constructed (plain strings are not kept)."""
        if node.__class__ is ScalarNode and node.ctag.value == _STR_TAG:
            return node.value
        return self.constructed_objects.get(node)

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

    def check_mapping_key(
        self, node: MappingNode, key_node: Node, mapping: Any, key: Any, value: Any
    ) -> bool:
        """A key twice in one mapping is an error that says where the first one is (and, unlike
        ruamel's own message, never quotes the values: one of them may be a secret)."""
        if key not in mapping:
            return True
        first = next(
            (other for other, _ in node.value if other is not key_node and self._made_of(other) == key),
            key_node,
        )
        raise ConstructorError(
            None,
            None,
            f"duplicate key {shown_key(key)}: it is already set at line {first.start_mark.line + 1}, column "
            f"{first.start_mark.column + 1} of this mapping",
            key_node.start_mark,
        )

    def construct_yaml_int(self, node: ScalarNode) -> Any:
        try:
            return super().construct_yaml_int(node)
        except ValueError:  # Python refuses to convert integers of more than 4,300 digits
            raise ConstructorError(
                None,
                None,
                f"a number of {len(node.value):,} digits is not a value any field takes",
                node.start_mark,
            ) from None

    def construct_yaml_timestamp(self, node: ScalarNode, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError as error:
            raise ConstructorError(
                None, None, f"{node.value} is not a date that exists: {error}", node.start_mark
            ) from None

    def construct_refused_tag(self, node: Node) -> Any:
        tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
        raise ConstructorError(
            None,
            None,
            f"the YAML tag {tag} is not allowed: manifests hold plain data (mappings, lists, text, numbers, "
            "true or false, dates)",
            node.start_mark,
        )


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
_PositionedConstructor.add_constructor("tag:yaml.org,2002:int", _PositionedConstructor.construct_yaml_int)
_PositionedConstructor.add_constructor(
    "tag:yaml.org,2002:timestamp", _PositionedConstructor.construct_yaml_timestamp
)
# Binary data, sets and ordered pairs are no manifest's values; other tags (`!!python/object`, custom
# `!tags`) name types lmsform does not build.
for _tag in ("binary", "set", "omap", "pairs"):
    _PositionedConstructor.add_constructor(
        f"tag:yaml.org,2002:{_tag}", _PositionedConstructor.construct_refused_tag
    )
_PositionedConstructor.add_constructor(None, _PositionedConstructor.construct_refused_tag)


def _parser() -> YAML:
    yaml = YAML(typ="safe", pure=False)
    yaml.Constructor = _PositionedConstructor
    yaml.Resolver = _OnceVersionedResolver
    return yaml


def load(path: Path, shown_as: Path, root: Path | None = None) -> Document:
    """The YAML file at `path`, shown in messages as `shown_as`; ManifestError when it cannot be a
    manifest. With `root` (the project folder), a symbolic link must stay inside it."""
    return parsed(checked_text(path, shown_as, root), path, shown_as)


def parsed(text: str, path: Path, shown_as: Path) -> Document:
    """The document of `text`, read from `path` by `checked_text`; ManifestError when it is no YAML."""
    try:
        root_node = _parser().load(text)
    except MarkedYAMLError as error:
        raise ManifestError([syntax_issue(error, text, shown_as)]) from None
    except YAMLError as error:
        raise ManifestError([Issue(Location(shown_as, 1, 1), f"YAML error: {error}")]) from None
    return Document(path=path, shown_as=shown_as, root=root_node)


def checked_texts(
    paths: Iterable[Path], root: Path, values: ProjectValues | None = None
) -> dict[Path, str | ManifestError]:
    """`checked_text` of each of a project's manifest files (`root`: the project folder): its text, or
    why it cannot be a manifest. The files' values count together against the project's bound (with
    `values`, those of the files checked before too), so ProjectLimitError stops the load here, before
    any tree is built."""
    values = ProjectValues() if values is None else values
    checked: dict[Path, str | ManifestError] = {}
    for path in paths:
        try:
            checked[path] = checked_text(path, relative(path), root, values)
        except ProjectLimitError:
            raise
        except ManifestError as error:
            checked[path] = error
    return checked


def checked_text(
    path: Path, shown_as: Path, root: Path | None = None, project: ProjectValues | None = None
) -> str:
    """The text of the YAML file at `path`, once it is known to be safe to build a tree from: a regular
    file of bounded size (`sourcefile`), only allowed characters (`characters`), and a shape within
    bounds (`yamllimits`; with `project`, the values of the project's files read so far count too).
    ManifestError otherwise."""
    text = read_text(path, shown_as, root)
    issues = text_issues(text, shown_as)
    if issues:
        raise ManifestError(issues)
    try:
        check_shape(_parser().parse(text), shown_as, project)
    except MarkedYAMLError as error:
        raise ManifestError([syntax_issue(error, text, shown_as)]) from None
    return text


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


def interpolate_environment(
    document: Document,
    environ: Mapping[str, str] | None = None,
    access: VariableAccess | None = None,
    *,
    unset: set[Location] | None = None,
) -> list[Issue]:
    """Replace `${NAME}` in every string value with the environment variable, in place.

    `$$` stands for a literal `$`. A missing variable is an issue at the value that names it, and so
    is one that `access` refuses (see `VariableAccess`); the message never holds the value.

    With `unset` (commands that never connect, such as validate), a missing variable is no issue:
    the reference is checked all the same but kept as it is written, and the place of the value is
    added to `unset`. So is a variable the environment does not let the value read: offline, its
    value is never read, so the check needs no environment and the commands that connect make it.

    A value that names a variable and that an alias repeats is an issue, and is read nowhere: see
    `_aliases_reading_variables`.
    """
    env = os.environ if environ is None else environ
    rules = access or VariableAccess()
    issues: list[Issue] = []

    def substitute(text: str, where: Location) -> str:
        def replace(match: re.Match[str]) -> str:
            if match.group(0) == "$$":
                return "$"
            reference = VariableReference.parse(match.group(1))
            if reference is None:
                issues.append(
                    Issue(
                        where,
                        f"invalid environment reference ${{{match.group(1)}}}: write ${{NAME}}, "
                        "${NAME:-default} or ${var.NAME}, nothing else",
                    )
                )
                return ""
            refused = rules.refusal(reference, where)
            if refused is not None:
                issues.append(Issue(where, refused))
                return ""
            name = reference.name
            readable = rules.may_read(name, where)
            value = rules.value(reference, env)
            if unset is not None and not (readable and value is not None):
                unset.add(where)
                return match.group(0)
            if not readable:
                issues.append(Issue(where, rules.not_listed(name)))
                return ""
            if value is None:
                issues.append(Issue(where, rules.unset(reference)))
                return ""
            stray = _REFUSED_IN_VARIABLES.search(value)
            if stray is not None:  # never quote the value: it may be a secret
                issues.append(
                    Issue(
                        where,
                        f"{f'environment variable {name}' if reference.is_plain else reference.written} "
                        f"holds {describe(stray.group())}, which is not allowed in a variable (is there a "
                        "stray line break at its end?)",
                    )
                )
                return ""
            if where in rules.unrestricted:  # a credential setting: whatever it reads is a secret
                secrets.register(value)
            return value

        return _ENV_REFERENCE.sub(replace, text)

    slots = _values_with_dollars(document)
    aliased, alias_issues = _aliases_reading_variables(slots)
    issues.extend(alias_issues)
    done: set[tuple[int, Any]] = set()
    for slot in slots:
        if slot.where in aliased:  # never read: the load fails on the alias
            slot.container[slot.key] = ""
        elif (id(slot.container), slot.key) not in done:  # an aliased collection is one collection
            done.add((id(slot.container), slot.key))
            slot.container[slot.key] = substitute(slot.text, slot.where)
    return issues


@dataclass(frozen=True)
class _Slot:
    """A string value holding `$`, and the mapping entry or list item that holds it."""

    container: CommentedMap | CommentedSeq
    key: Any
    text: str
    # Where the value is written. An alias reports its anchor's place: the value is written there.
    where: Location
    # Where the entry is: a mapping entry's key (an alias's own place, unless `<<` merged it in), or
    # a list item's value.
    entry: Location


def _values_with_dollars(document: Document) -> list[_Slot]:
    """Every string value holding `$`, in the order of the document, as often as aliases repeat it."""
    slots: list[_Slot] = []
    inside: set[int] = set()

    def walk(node: Any) -> None:
        if id(node) in inside:  # a recursive alias (refused before, when the file's shape is checked)
            return
        if isinstance(node, CommentedMap):
            entries: Iterable[tuple[Any, Any]] = list(node.items())
        elif isinstance(node, CommentedSeq):
            entries = list(enumerate(node))
        else:
            return
        inside.add(id(node))
        for key, value in entries:
            if isinstance(value, str) and "$" in value:
                where = document.location(node, (key,))
                entry = document.location(node, (key,), at_key=isinstance(node, CommentedMap))
                slots.append(_Slot(node, key, value, where, entry))
            else:
                walk(value)
        inside.discard(id(node))

    walk(document.root)
    return slots


def _aliases_reading_variables(slots: list[_Slot]) -> tuple[set[Location], list[Issue]]:
    """The places of the values that name a variable and that an alias (or a `<<` merge) repeats,
    and an issue for each alias of them.

    Which variables a value may read depends on where it is written (a provider's credential setting
    may read any, see `VariableAccess`), and an alias's value is written at its anchor: so `domain: *k`
    with `api_key: &k ${TOKEN}` would read the token into the domain, which every plan prints.
    """
    first: dict[Location, _Slot] = {}
    places: set[Location] = set()
    issues: dict[Issue, None] = {}  # an aliased collection repeats its values' issues: say each once
    for slot in slots:
        anchor = first.setdefault(slot.where, slot)
        names = environment_names(slot.text)
        if anchor is slot or not names:
            continue
        places.add(slot.where)
        issues[_alias_issue(anchor, slot, names)] = None
    return places, list(issues)


def _alias_issue(anchor: _Slot, alias: _Slot, names: list[str]) -> Issue:
    """At the alias when it has a place of its own (a mapping entry's key), else at its anchor."""
    reads = ", ".join(f"${{{name}}}" for name in dict.fromkeys(names))
    rule = (
        "a value that reads an environment variable must be written where it is used, as the variables it "
        "may read depend on where it stands"
    )
    if alias.entry != anchor.entry:
        where = anchor.where
        return Issue(
            alias.entry,
            f"this is an alias of the value at line {where.line}, column {where.column}, which reads "
            f"{reads}: {rule}. Write {reads} here instead of the alias",
        )
    return Issue(
        anchor.where,
        f"an alias (or a `<<` merge) repeats this value, which reads {reads}, elsewhere: {rule}. Write "
        f"{reads} in each place instead of the alias",
    )


def environment_names(text: str) -> list[str]:
    """The environment variables `text` refers to as `${NAME}`."""
    return [match.group(1) for match in _ENV_REFERENCE.finditer(text) if match.group(0) != "$$"]


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
    refused: Mapping[str, str] | None = None,
) -> M | None:
    """`data` (a node of `document`, below `node` at `prefix`) as a `model`, or None with the issues.

    `expected` lists the fields to suggest for an unknown one (default: all of the model's); `refused`
    gives, for fields the model does not have but a user may reasonably write, what to say instead.
    """
    if not isinstance(data, Mapping):
        where = document.location(node, prefix)
        issues.append(Issue(where, f"expected fields here (`name: value` lines), not {what_it_is(data)}"))
        return None
    try:
        return model.model_validate(plain(data))
    except ValidationError as error:
        for problem in error.errors(include_input=False, include_url=False):
            loc = prefix + tuple(problem["loc"])
            unknown = problem["type"] == "extra_forbidden"
            issues.append(
                Issue(
                    document.location(node, loc, at_key=unknown),
                    _describe(problem, prefix, model, expected, refused or {}),
                )
            )
        return None


def _describe(
    problem: Mapping[str, Any],
    prefix: tuple[str | int, ...],
    model: type[BaseModel],
    expected: Iterable[str] | None,
    refused: Mapping[str, str],
) -> str:
    """A pydantic error in plain words, naming the field but never echoing the value (it may be secret)."""
    named = [str(part) for part in prefix if isinstance(part, str)] + [str(part) for part in problem["loc"]]
    dotted = ".".join(named)
    kind = problem["type"]
    if kind == "invalid_key":
        return f"a field name must be text, not {problem['loc'][-1]}"
    if kind == "timezone_aware":
        return f"{dotted}: give the time zone, e.g. 2027-06-30T09:00:00Z or 2027-06-30T09:00:00+02:00"
    if kind == "missing":
        return f"{dotted}: required field is missing"
    if kind == "extra_forbidden" and len(problem["loc"]) == 1 and problem["loc"][0] in refused:
        return refused[problem["loc"][0]]
    if kind == "extra_forbidden":
        fields = [name for name in model.model_fields if expected is None or name in set(expected)]
        allowed = ", ".join(fields) if len(problem["loc"]) == 1 else None
        hint = did_you_mean(str(problem["loc"][-1]), fields) if len(problem["loc"]) == 1 else ""
        return f"unknown field {shortened(dotted)!r}{hint}" + (
            f" (expected one of: {allowed})" if allowed else ""
        )
    message = str(problem["msg"]).removeprefix("Value error, ")
    return f"{dotted}: {message}" if dotted else message
