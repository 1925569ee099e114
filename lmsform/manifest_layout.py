"""`lmsform fmt`: rewrite a project's manifest files in one layout, keeping every comment in place.

The layout: mappings indented 2, list items indented 4 with the dash at 2, keys in a fixed order
(`version, provider, manage` in lmsform.yaml; kinds, and each entry's fields, in the models' order in
resource files), quotes and flow-style lists as written, no line wrapping, one newline at the end.

Comments need care. ruamel does not keep a comment with the key it describes: it stores the lines
between two keys on the previous key (on the deepest last item of that key's value, when it is a
block), and the lines before a block's first key on the key that holds the block. Moving keys in
ruamel's own structures would take comments to the wrong key. So the formatter first reads every
comment into its own model, in document order: an end-of-line comment belongs to the key or item on
its line; a full-line comment (or blank line) belongs to what follows it, unless it is indented
deeper than that: then it ends the block above it. It then reorders the keys, and writes the
comments back where ruamel expects them, re-indented to the key or block they belong to.

A formatted file is kept only when it reads back as the same data with the same comments; otherwise
the file is skipped, untouched, with the reason.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import CommentMark, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.tokens import CommentToken

from lmsform.characters import EscapingEmitter
from lmsform.errors import Issue, ManifestError, relative
from lmsform.kinds import DECLARABLE
from lmsform.manifest import CONFIG_FILE, resource_files
from lmsform.yamlsource import checked_texts, load

CONFIG_KEY_ORDER = ("version", "provider", "manage")
PROVIDER_KEY_ORDER = ("type",)
_NO_WRAP = 1 << 30
_MAPPING_INDENT = 2
_DASH_OFFSET = 2


@dataclass(frozen=True)
class FormatResult:
    changed: tuple[Path, ...]  # files whose text differs from their normalised form
    skipped: tuple[tuple[Path, str], ...]  # files not formatted, with the reason


class FormatError(Exception):
    """A file fmt leaves as it is; the message says why."""


def format_project(root: Path, *, check: bool) -> FormatResult:
    """Normalise every manifest file of the project; with `check`, only report what would change."""
    root = Path(root)
    config_path = root / CONFIG_FILE
    if not config_path.is_file():
        raise ManifestError(
            [Issue(None, f"{relative(root)}: no {CONFIG_FILE} here; a project directory holds {CONFIG_FILE}")]
        )
    changed: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    files = [config_path, *resource_files(root)]
    # Every file is checked, against the project's bounds too, before any is rewritten.
    texts = checked_texts(files, root)
    for path in files:
        try:
            original, formatted = _format_file(path, texts.pop(path), root, config=path == config_path)
        except FormatError as error:
            skipped.append((path, str(error)))
            continue
        if formatted != original:
            changed.append(path)
            if not check:
                _replace(path, formatted)
    return FormatResult(changed=tuple(changed), skipped=tuple(skipped))


def format_text(text: str, *, config: bool) -> str:
    """The normalised text of one manifest (`config`: lmsform.yaml); FormatError when it cannot be."""
    if not text.strip():
        return ""
    preamble, body = _split_preamble(text)
    yaml = _formatting_yaml()
    try:
        root = yaml.load(body)
    except YAMLError as error:
        raise FormatError(f"YAML error: {error}") from None
    if root is None:  # only comments
        return _checked(None, text, [_tidy(text)])
    if not isinstance(root, CommentedMap | CommentedSeq):
        return text  # a lone scalar: nothing to lay out
    _refuse_merge_keys(root)
    comments = _read_comments(root)
    if isinstance(root, CommentedMap):
        (_order_config if config else _order_resources)(root)
    _write_comments(root, comments)
    stream = StringIO()
    yaml.dump(root, stream)
    dumped = preamble + stream.getvalue()
    # Stripping trailing whitespace could change a block scalar's value: then keep ruamel's text.
    return _checked(root, text, [_tidy(dumped), dumped])


def _format_file(path: Path, checked: str | ManifestError, root: Path, *, config: bool) -> tuple[str, str]:
    """The text of `path` and its formatted text; `checked` is its text once it has passed the checks
    lmsform's own loading makes (`checked_texts`), as the round-trip parser would expand an alias bomb,
    follow a link out of the project, or wait on a named pipe just the same."""
    if isinstance(checked, ManifestError):
        raise FormatError("; ".join(str(issue) for issue in checked.issues))
    try:
        return checked, format_text(checked, config=config)  # newlines as they are: CRLF counts as changed
    except FormatError as error:
        raise FormatError(_load_problem(path, root) or f"{relative(path)}: {error}") from None


def _load_problem(path: Path, root: Path) -> str | None:
    """Why lmsform cannot read the file at all (YAML syntax, encoding), as file:line:column: message."""
    try:
        load(path, relative(path), root)
    except ManifestError as error:
        return "; ".join(str(issue) for issue in error.issues)
    return None


def _replace(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file, so an interrupted run never leaves half a file."""
    target = path.resolve()
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(text.encode("utf-8"))
        shutil.copymode(target, temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# --- key order ---------------------------------------------------------------------------------


def _order_config(root: CommentedMap) -> None:
    _put_first(root, CONFIG_KEY_ORDER)
    provider = root.get("provider")
    if isinstance(provider, CommentedMap):
        _put_first(provider, PROVIDER_KEY_ORDER)


def _order_resources(root: CommentedMap) -> None:
    _put_first(root, tuple(DECLARABLE))
    for kind_name, kind in DECLARABLE.items():
        entries = root.get(kind_name)
        if kind.spec is not None and kind.singleton and isinstance(entries, CommentedMap):
            _order_entry(entries, kind.spec)
        if kind.spec is None or not isinstance(entries, CommentedSeq):
            continue
        for entry in entries:
            if isinstance(entry, CommentedMap):
                _order_entry(entry, kind.spec)


def _order_entry(entry: CommentedMap, model: type[BaseModel]) -> None:
    """Keys in the order of the model's fields, unknown ones last; nested models (`published`) too."""
    _put_first(entry, tuple(model.model_fields))
    for name, info in model.model_fields.items():
        nested = _model_in(info.annotation)
        value = entry.get(name)
        if nested is not None and isinstance(value, CommentedMap):
            _order_entry(value, nested)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field may hold (`published: bool | PublicationSpec | None`), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for argument in get_args(annotation):
        found = _model_in(argument)
        if found is not None:
            return found
    return None


def _put_first(mapping: CommentedMap, leading: Sequence[str]) -> None:
    """Reorder `mapping`: the `leading` keys it has, in that order, then the others as they were."""
    order = [key for key in leading if key in mapping] + [key for key in mapping if key not in leading]
    if order != list(mapping):
        for key in order:
            mapping.move_to_end(key)


# --- reading comments --------------------------------------------------------------------------

# An element is one mapping key or list item, named by its container and its key or index.
Place = tuple[int, Hashable]


@dataclass(frozen=True)
class _Line:
    """A full-line comment, or a blank line (empty text), with the column it was written at."""

    text: str
    column: int


@dataclass(frozen=True)
class _Eol:
    text: str
    column: int


@dataclass(frozen=True)
class _Element:
    place: Place
    column: int
    # Where the lines before it go: itself, or for the first key of a list item's mapping (which
    # shares the dash's line), the item.
    lead_to: Place


@dataclass(frozen=True)
class _Enter:
    container: int
    column: int


@dataclass(frozen=True)
class _Exit:
    container: int


_Event = _Line | _Eol | _Element | _Enter | _Exit


@dataclass
class _Comments:
    """Every comment of a document, attached to what it belongs to rather than where ruamel put it."""

    header: list[str] = field(default_factory=list)  # the file's opening lines, kept at the top
    leads: dict[Place, list[str]] = field(default_factory=dict)  # full lines before an element
    eols: dict[Place, _Eol] = field(default_factory=dict)  # the comment at the end of its line
    tails: dict[int, list[str]] = field(default_factory=dict)  # lines closing a block, by its id
    key_orders: dict[int, list[Hashable]] = field(default_factory=dict)  # each mapping's keys as read
    cleared: list[Any] = field(default_factory=list)  # nodes whose ruamel comments were read


def _read_comments(root: CommentedMap | CommentedSeq) -> _Comments:
    reader = _CommentReader()
    reader.value(root, lead_first_to=None)
    comments = _attribute(reader.events)
    comments.cleared = reader.nodes
    comments.key_orders = {id(node): list(node) for node in reader.nodes if isinstance(node, CommentedMap)}
    return comments


class _CommentReader:
    """Turns a document into events in document order: elements, blocks opening and closing, comments."""

    def __init__(self) -> None:
        self.events: list[_Event] = []
        self.nodes: list[Any] = []
        self._seen: set[int] = set()

    def value(self, node: Any, lead_first_to: Place | None) -> None:
        if not isinstance(node, CommentedMap | CommentedSeq) or id(node) in self._seen:
            return
        self._seen.add(id(node))
        self.nodes.append(node)
        comment = node.ca.comment or [None, None]
        self._post(comment[0])
        self._pre(comment[1] if len(comment) > 1 else None)
        if _is_block(node):
            self._block(node, lead_first_to)

    def _block(self, node: CommentedMap | CommentedSeq, lead_first_to: Place | None) -> None:
        self.events.append(_Enter(id(node), node.lc.col))
        if isinstance(node, CommentedMap):
            for position, key in enumerate(node):
                slots = _padded(node.ca.items.get(key))
                self._pre(slots[1])
                place = (id(node), key)
                lead_to = lead_first_to if position == 0 and lead_first_to is not None else place
                self.events.append(_Element(place, node.lc.key(key)[1], lead_to))
                self._post(slots[0])
                self._post(slots[2])
                self._pre(slots[3])
                self.value(node[key], lead_first_to=None)
        else:
            for index, item in enumerate(node):
                slots = _padded(node.ca.items.get(index))
                self._pre(slots[1])  # after a flow collection, ruamel keeps the next lines here
                place = (id(node), index)
                self.events.append(_Element(place, node.lc.col, place))
                self._post(slots[0])
                self.value(item, lead_first_to=place)
        self._pre(node.ca.end)
        self.events.append(_Exit(id(node)))

    def _post(self, token: Any) -> None:
        """A token that starts at the end of a line: its first line is that line's comment, if any."""
        if not isinstance(token, CommentToken) or id(token) in self._seen:
            return
        self._seen.add(id(token))
        first, *rest = _token_lines(token)
        if first.text:
            self.events.append(_Eol(first.text, first.column))
        self.events.extend(rest)

    def _pre(self, tokens: Iterable[Any] | None) -> None:
        # Plain strings here are the comment after a block scalar's `|`: the scalar keeps it itself.
        for token in tokens or ():
            if isinstance(token, CommentToken) and id(token) not in self._seen:
                self._seen.add(id(token))
                self.events.extend(_token_lines(token))


def _padded(slots: list[Any] | None) -> list[Any]:
    return [*(slots or []), None, None, None, None][:4]


def _is_block(node: CommentedMap | CommentedSeq) -> bool:
    return len(node) > 0 and not node.fa.flow_style()


def _token_lines(token: CommentToken) -> list[_Line]:
    parts = token.value.split("\n")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # the newline ending the last line
    lines = [_Line(parts[0].strip(), _mark_column(token))]
    lines.extend(_Line(part.strip(), len(part) - len(part.lstrip())) for part in parts[1:])
    return lines


def _mark_column(token: Any) -> int:
    column = getattr(getattr(token, "start_mark", None), "column", 0)
    return column if isinstance(column, int) else 0


def _attribute(events: list[_Event]) -> _Comments:
    """Decide, for every comment line, which element it leads, ends the line of, or which block it closes."""
    comments = _Comments()
    columns: dict[int, int] = {}
    pending: list[_Line] = []
    closed: list[int] = []
    last: _Element | None = None
    first: _Element | None = None
    for event in events:
        if isinstance(event, _Enter):
            columns[event.container] = event.column
        elif isinstance(event, _Exit):
            closed.append(event.container)
        elif isinstance(event, _Line):
            pending.append(event)
        elif isinstance(event, _Eol):
            if last is not None and not pending and not closed and last.place not in comments.eols:
                comments.eols[last.place] = event
            else:
                pending.append(_Line(event.text, event.column))
        else:
            _settle(comments, pending, [(c, columns[c]) for c in closed], event)
            pending, closed = [], []
            last = event
            first = first or event
    _settle(comments, pending, [(c, columns[c]) for c in closed], None)
    if first is not None:
        comments.header, comments.leads[first.lead_to] = _split_header(comments.leads.get(first.lead_to, []))
    return comments


def _settle(
    comments: _Comments, lines: list[_Line], closed: list[tuple[int, int]], following: _Element | None
) -> None:
    """Attach the lines between two elements: to the tails of the blocks closing there (innermost
    first), or to the lead of the element that follows, by their indentation. Order is kept, so once
    a line goes to an outer block, the lines after it cannot go back to an inner one."""
    targets: list[tuple[list[str], int]] = [
        (comments.tails.setdefault(container, []), column) for container, column in closed
    ]
    if following is not None:
        targets.append((comments.leads.setdefault(following.lead_to, []), following.column))
    if not targets:
        return
    chosen = 0
    blanks: list[str] = []
    for line in lines:
        if not line.text:
            blanks.append(line.text)
            continue
        chosen = max(chosen, _target_for(line.column, [column for _, column in targets]))
        targets[chosen][0].extend([*blanks, line.text])
        blanks = []
    if following is not None:  # blank lines before the next element lead it; those at the end go
        targets[-1][0].extend(blanks)


def _target_for(column: int, columns: list[int]) -> int:
    """The index of the deepest target a line at `column` can belong to: the one indented most, but
    not more than the line. On a tie (a list written unindented under its key) the outer one wins,
    so a comment at a key's indentation stays with that key."""
    fitting = [target for target in columns if target <= column]
    if not fitting:
        return len(columns) - 1
    deepest = max(fitting)
    return max(index for index, target in enumerate(columns) if target == deepest)


def _split_header(lead: list[str]) -> tuple[list[str], list[str]]:
    """The file's opening comments stay at the top, except a last paragraph right above the first key."""
    if "" not in lead:
        return lead, []
    cut = len(lead) - lead[::-1].index("")
    return lead[:cut], lead[cut:]


# --- writing comments back ---------------------------------------------------------------------


@dataclass
class _Slot:
    """A place ruamel reads comments from: after the document start, after a key, or after an item."""

    kind: str  # "root", "value" (a key holding a block), "post" (a key holding a scalar), "item"
    node: Any
    key: Hashable = None
    eol: _Eol | None = None
    lines: list[tuple[str, int]] = field(default_factory=list)


def _write_comments(root: CommentedMap | CommentedSeq, comments: _Comments) -> None:
    for node in comments.cleared:
        if isinstance(node, CommentedMap | CommentedSeq):
            node.ca.comment = None
            if _is_block(node):
                node.ca.items.clear()
                node.ca.end = []
    writer = _CommentWriter(comments, _Slot("root", root))
    writer.previous.lines.extend((text, 0) for text in comments.header)
    writer.block(root, 0 if isinstance(root, CommentedMap) else _DASH_OFFSET, first_lead_column=None)
    for slot in writer.slots:
        _materialise(slot)


class _CommentWriter:
    """Walks the reordered document, putting each comment line on the slot ruamel prints just before it."""

    def __init__(self, comments: _Comments, start: _Slot) -> None:
        self.comments = comments
        self.previous = start
        self.slots = [start]
        self._seen: set[int] = set()

    def block(self, node: CommentedMap | CommentedSeq, column: int, first_lead_column: int | None) -> None:
        self._seen.add(id(node))
        keys: list[Hashable] = list(node) if isinstance(node, CommentedMap) else list(range(len(node)))
        # Blank lines separate positions, not keys: a key that moves takes its comments, not the gap.
        gaps_from = self.comments.key_orders.get(id(node), keys)
        for position, key in enumerate(keys):
            place = (id(node), key)
            lead_column = first_lead_column if position == 0 and first_lead_column is not None else column
            gap = _leading_blanks(self.comments.leads.get((id(node), gaps_from[position]), []))
            lead = self.comments.leads.get(place, [])
            self._add([""] * gap + lead[_leading_blanks(lead) :], lead_column)
            value = node[key]
            eol = self.comments.eols.get(place)
            nested = isinstance(value, CommentedMap | CommentedSeq) and _is_block(value)
            if nested and id(value) not in self._seen:
                if isinstance(node, CommentedMap):
                    self._move_to(_Slot("value", node, key, eol))
                    self.block(value, column + _MAPPING_INDENT, first_lead_column=None)
                else:
                    if eol is not None:  # an item's own line comment, when the item is a block
                        self._add([eol.text], lead_column)
                    self.block(value, column + _DASH_OFFSET, first_lead_column=column)
            else:
                self._move_to(_Slot("post" if isinstance(node, CommentedMap) else "item", node, key, eol))
        self._add(self.comments.tails.get(id(node), []), column)

    def _move_to(self, slot: _Slot) -> None:
        self.slots.append(slot)
        self.previous = slot

    def _add(self, lines: list[str], column: int) -> None:
        self.previous.lines.extend((text, column) for text in lines)


def _leading_blanks(lines: list[str]) -> int:
    return next((index for index, text in enumerate(lines) if text), len(lines))


def _materialise(slot: _Slot) -> None:
    if slot.eol is None and not slot.lines:
        return
    if slot.kind == "root":
        slot.node.ca.comment = [None, [_line_token(text, column) for text, column in slot.lines]]
    elif slot.kind == "value" and slot.eol is None:
        slot.node.ca.items[slot.key] = [None, None, None, [_line_token(t, c) for t, c in slot.lines]]
    elif slot.kind == "item":
        slot.node.ca.items[slot.key] = [_post_token(slot), None, None, None]
    else:
        slot.node.ca.items[slot.key] = [None, None, _post_token(slot), None]


def _line_token(text: str, column: int) -> CommentToken:
    return CommentToken(f"{text}\n", CommentMark(column if text else 0), None)


def _post_token(slot: _Slot) -> CommentToken:
    """One token for a line's end comment and the full lines after it, as ruamel's parser makes them."""
    eol = slot.eol.text if slot.eol else ""
    lines = "".join(f"{' ' * column}{text}\n" if text else "\n" for text, column in slot.lines)
    column = slot.eol.column if slot.eol else 0
    return CommentToken(f"{eol}\n{lines}", CommentMark(column), None)


# --- YAML in and out ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Verbatim:
    """A plain scalar ruamel would spell differently on output (True, ~, +5): written as it was read."""

    tag: Any
    text: str


_VERBATIM_TAGS = tuple(f"tag:yaml.org,2002:{name}" for name in ("bool", "null", "int", "float", "timestamp"))


class _VerbatimConstructor(RoundTripConstructor):
    pass


class _VerbatimRepresenter(RoundTripRepresenter):
    pass


def _verbatim_constructor(tag: str) -> Callable[[Any, Any], Any]:
    default = RoundTripConstructor.yaml_constructors[tag]

    def construct(constructor: Any, node: ScalarNode) -> Any:
        if node.anchor or node.style or not node.value:
            return default(constructor, node)
        return _Verbatim(node.tag, node.value)

    return construct


def _represent_verbatim(representer: Any, data: _Verbatim) -> Any:
    return representer.represent_scalar(data.tag, data.text)


for _tag in _VERBATIM_TAGS:
    _VerbatimConstructor.add_constructor(_tag, _verbatim_constructor(_tag))
_VerbatimRepresenter.add_representer(_Verbatim, _represent_verbatim)


def _formatting_yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _VerbatimConstructor
    yaml.Representer = _VerbatimRepresenter
    # A value spelt with escapes (`"ad\u200bmins"`) keeps them: written as itself, it would be refused.
    yaml.Emitter = EscapingEmitter
    yaml.preserve_quotes = True
    yaml.indent(mapping=_MAPPING_INDENT, sequence=_MAPPING_INDENT + _DASH_OFFSET, offset=_DASH_OFFSET)
    yaml.width = _NO_WRAP
    return yaml


def _refuse_merge_keys(node: Any) -> None:
    if isinstance(node, CommentedMap):
        if node.merge:
            raise FormatError("uses a merge key (<<), which fmt does not rewrite; left as it is")
        for value in node.values():
            _refuse_merge_keys(value)
    elif isinstance(node, CommentedSeq):
        for item in node:
            _refuse_merge_keys(item)


def _split_preamble(text: str) -> tuple[str, str]:
    """A document start marker (`---`) and what precedes it, which ruamel would drop, kept aside."""
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        stripped = line.strip()
        if line.startswith("---") and (stripped == "---" or stripped.startswith("--- #")):
            return "".join(lines[: index + 1]), "".join(lines[index + 1 :])
        if stripped and not stripped.startswith(("#", "%")):
            break
    return "", text


def _tidy(text: str) -> str:
    """No trailing whitespace on any line, and exactly one newline at the end."""
    tidy = "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n")
    return f"{tidy}\n" if tidy else ""


def _checked(expected: Any, original: str, candidates: list[str]) -> str:
    """The first candidate that reads back as `expected` (the data of `original`, keys reordered), with
    the original's comments. Scalars are read verbatim, so this also proves no value is spelled anew."""
    comments = _comment_lines(original)
    for candidate in candidates:
        try:
            data = _formatting_yaml().load(candidate)
        except YAMLError:
            continue
        if _same(expected, data) and _comment_lines(candidate) == comments:
            return candidate
    raise FormatError("formatting would change its data or lose a comment; left as it is")


def _same(left: Any, right: Any) -> bool:
    """Equal data of equal types all the way down: a quoted and a plain string differ, and so do two
    spellings of one number or boolean (`True` and `true`), as scalars are read verbatim."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return left.keys() == right.keys() and all(_same(left[key], right[key]) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right, strict=True))
    return bool(left == right) or repr(left) == repr(right)


def _comment_lines(text: str) -> Counter[str]:
    """Every comment line of `text`, as YAML's scanner sees them (independently of ruamel's tree)."""
    found: Counter[str] = Counter()
    for token in YAML(typ="rt").scan(text):
        _count_comments(token.comment, found)
    return found


def _count_comments(item: Any, found: Counter[str]) -> None:
    if isinstance(item, list):
        for part in item:
            _count_comments(part, found)
    elif item is not None:
        value = item.value if isinstance(item, CommentToken) else str(item)
        found.update(line.strip() for line in value.split("\n") if line.strip())
