r"""Characters a manifest may not show, the one Unicode form its text must take, and how to write them.

Manifests are reviewed by people, so what a reviewer reads must be what lmsform reads. Refused as
themselves anywhere in a file (comments too), and in values read from the environment:

* control characters other than tab and line ends: they can rewrite a terminal's output;
* bidirectional controls (U+202A to U+202E, U+2066 to U+2069, LRM, RLM, ALM): they make text display in
  another order than it is read ("Trojan Source", CVE-2021-42574);
* invisible characters (zero-width space, word joiner, soft hyphen, a byte-order mark after the
  start, tag characters, Hangul fillers): two names that look the same would differ;
* Unicode line and paragraph separators, which YAML would read as line breaks nobody sees.

Zero-width joiner and non-joiner stay allowed: Persian, Indic scripts and emoji need them.

Text must also be in Unicode NFC (composed) form, so that "é" is always one character and never
`e` + U+0301, and a word may not mix Latin and Cyrillic letters (`admins` spelt with
U+0430 CYRILLIC SMALL LETTER A for its first letter).

A value may still hold any of these when a double-quoted string spells them as YAML escapes
(`"ad\u200bmins"`, `"Zo\u0308e"`): the escape is plain ASCII, so the reviewer sees exactly which
character it is. A vendor may hold such names, and a manifest must be able to name what the vendor
holds byte for byte; `double_quoted` and `EscapingEmitter` write them that way.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ruamel.yaml.emitter import RoundTripEmitter

from lmsform.errors import Issue, Location
from lmsform.sourcefile import line_and_column

_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_INVISIBLE = (
    "\u00ad\u034f\u115f\u1160\u180e\u200b\u2060-\u2064\u206a-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb"
    "\U000e0000-\U000e007f"
)
_SEPARATOR = "\u2028\u2029"
REFUSED = re.compile(f"[{_CONTROL}{_BIDI}{_INVISIBLE}{_SEPARATOR}]")
_LATIN = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
_CYRILLIC = "\u0400-\u052f"
_MIXED_WORD = re.compile(
    f"[^\\W_]*(?:[{_LATIN}][^\\W_]*[{_CYRILLIC}]|[{_CYRILLIC}][^\\W_]*[{_LATIN}])[^\\W_]*"
)
_CYRILLIC_LETTER = re.compile(f"[{_CYRILLIC}]")
_LONGEST_ADDRESS = 254
_TOKEN_ENDS = frozenset(" \t\r\n\"',[]{}#")  # what ends a word in YAML: an address, a name
# One error per problem is enough to see what is wrong; a file full of them gets a count.
MAX_REPORTED = 20


def describe(char: str) -> str:
    """`U+202E RIGHT-TO-LEFT OVERRIDE`: a character by code point and name (controls have none)."""
    name = unicodedata.name(char, "")
    return f"U+{ord(char):04X}" + (f" {name}" if name else "")


def why_refused(char: str) -> str:
    """The reason `char` (matched by REFUSED) may not appear in a manifest."""
    if re.match(f"[{_BIDI}]", char):
        return "a bidirectional-text control makes text display in another order than it is read"
    if re.match(f"[{_CONTROL}]", char):
        return "control characters other than tab and line breaks are not text"
    if char in _SEPARATOR:
        return "YAML would read it as a line break nobody can see"
    return "it is invisible, so two names that look the same would differ"


def refused_character_message(char: str) -> str:
    return f"{describe(char)} is not allowed in manifests: {why_refused(char)}"


def text_issues(text: str, shown_as: Path) -> list[Issue]:
    """Refused characters, non-NFC text and mixed-script words in a file's text, each where it is.

    Reports the first MAX_REPORTED, and says when there are more: a file full of them costs no more.
    """
    if text.isascii() and REFUSED.search(text) is None:
        return []
    start = 1 if text.startswith("\ufeff") else 0  # a byte-order mark may open the file
    kinds: list[Iterator[tuple[int, str]]] = [
        ((match.start(), refused_character_message(match.group())) for match in REFUSED.finditer(text, start))
    ]
    if not text.isascii():
        kinds += [_not_nfc(text), _mixed_script(text)]
    found = sorted(problem for problems in kinds for problem in itertools.islice(problems, MAX_REPORTED + 1))
    issues = [
        Issue(Location(shown_as, *line_and_column(text, index)), message)
        for index, message in found[:MAX_REPORTED]
    ]
    if len(found) > MAX_REPORTED:
        index = found[MAX_REPORTED][0]
        issues.append(
            Issue(
                Location(shown_as, *line_and_column(text, index)), "... and more such problems in this file"
            )
        )
    return issues


def _mixed_script(text: str) -> Iterator[tuple[int, str]]:
    for match in _MIXED_WORD.finditer(text):
        start, end = match.start(), match.end()
        while start > max(0, match.start() - _LONGEST_ADDRESS) and text[start - 1] not in _TOKEN_ENDS:
            start -= 1
        while end < min(len(text), match.end() + _LONGEST_ADDRESS) and text[end] not in _TOKEN_ENDS:
            end += 1
        token = text[start:end]
        if "@" in token:  # a look-alike letter in an address: say what the rule for addresses is
            index = next(i for i, char in enumerate(token) if not char.isascii())
            yield start + index, non_ascii_address(token, index)
        else:
            yield match.start(), mixed_script_message(match.group())


def _not_nfc(text: str) -> Iterator[tuple[int, str]]:
    if unicodedata.is_normalized("NFC", text):
        return
    offset = 0
    for line in text.splitlines(keepends=True):
        if not unicodedata.is_normalized("NFC", line):
            index, message = nfc_problem(line)
            yield offset + index, message
        offset += len(line)


def nfc_problem(text: str) -> tuple[int, str]:
    """Where `text` (not NFC) first differs from its NFC form, and a message that says how."""
    composed = unicodedata.normalize("NFC", text)
    index = next(
        (i for i, (a, b) in enumerate(zip(text, composed, strict=False)) if a != b),
        min(len(text), len(composed)),
    )
    end = index + 1
    while end < len(text) and unicodedata.combining(text[end]):
        end += 1
    written = text[index:end]
    wanted = unicodedata.normalize("NFC", written)
    return index, (
        f"{wanted!r} is written as {' + '.join(describe(char) for char in written)}, not in Unicode NFC "
        f"form ({' + '.join(describe(char) for char in wanted)}): two spellings that look the same would be "
        "different names; save the file in NFC (composed) form"
    )


def mixed_script_message(word: str) -> str:
    cyrillic = _CYRILLIC_LETTER.search(word)
    assert cyrillic is not None
    return (
        f"{word!r} mixes Latin and Cyrillic letters ({cyrillic.group()!r} is {describe(cyrillic.group())}): "
        "a look-alike of a name in one script; write each word in one script"
    )


def non_ascii_address(address: str, index: int) -> str:
    """Why the e-mail address `address`, whose character `index` is not ASCII, is refused."""
    local, at, domain = address.rpartition("@")
    hint = ""
    if at and local.isascii():
        try:
            hint = f", or write the domain in its ASCII form: {local}@{domain.encode('idna').decode('ascii')}"
        except UnicodeError:
            hint = ", or write the domain in its ASCII form (xn--...)"
    return (
        f"{address!r} is not plain ASCII: character {index + 1} is {describe(address[index])}. lmsform takes "
        "only ASCII e-mail addresses, because a letter that looks like an ASCII one makes a different "
        f"address that reads the same. Retype it{hint}"
    )


# YAML's short escapes, where one reads better than a code point; every other character is `\x..`,
# `\u....` or `\U........`.
_SHORT_ESCAPES = {
    "\0": "0",
    "\a": "a",
    "\b": "b",
    "\t": "t",
    "\n": "n",
    "\v": "v",
    "\f": "f",
    "\r": "r",
    "\x1b": "e",
    '"': '"',
    "\\": "\\",
}


def _shows_as_written(text: str) -> bool:
    """Whether `text`, written in a manifest as it is, passes the checks on a file's text."""
    if REFUSED.search(text) is not None:
        return False
    return text.isascii() or (unicodedata.is_normalized("NFC", text) and _MIXED_WORD.search(text) is None)


def double_quoted(value: str) -> str | None:
    r"""`value` as a double-quoted YAML string that passes the checks on a file's text, or None when
    `value` can be written as it is.

    Only the characters that cannot be shown are escaped (`"ad\u200bmins"`, `"Zo\u0308e"`, the Cyrillic
    letter of a mixed word), so the rest stays readable; when that is not enough (a decomposition
    without combining marks), every character outside ASCII is escaped.
    """
    if _shows_as_written(value):
        return None
    quoted = _quoted(value, _unshowable(value))
    if _shows_as_written(quoted):
        return quoted
    return _quoted(value, {index for index, char in enumerate(value) if not char.isascii()})


def _unshowable(value: str) -> set[int]:
    """The characters of `value` to write as escapes: refused ones; combining marks and characters that
    NFC would change, when `value` is not in NFC; the Cyrillic letters of a word mixing scripts."""
    hidden = {match.start() for match in REFUSED.finditer(value)}
    if not unicodedata.is_normalized("NFC", value):
        hidden |= {
            index
            for index, char in enumerate(value)
            if unicodedata.category(char).startswith("M") or unicodedata.normalize("NFC", char) != char
        }
    for word in _MIXED_WORD.finditer(value):
        hidden |= {word.start() + cyrillic.start() for cyrillic in _CYRILLIC_LETTER.finditer(word.group())}
    return hidden


def _quoted(value: str, escaped: set[int]) -> str:
    """`value` in double quotes, escaping the characters at `escaped`, quotes, backslashes and every
    ASCII character that is not printable."""
    return (
        '"'
        + "".join(
            _escape(char)
            if index in escaped or char in '"\\' or (char.isascii() and not char.isprintable())
            else char
            for index, char in enumerate(value)
        )
        + '"'
    )


def _escape(char: str) -> str:
    if char in _SHORT_ESCAPES:
        return "\\" + _SHORT_ESCAPES[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


class EscapingEmitter(RoundTripEmitter):
    """ruamel's round-trip emitter, writing every string a manifest could not show as it is in double
    quotes, with what cannot be shown as escapes (`double_quoted`). ruamel's own writer keeps most of
    these characters as they are, and an NFD or zero-width name would make a file lmsform refuses."""

    def choose_scalar_style(self) -> Any:
        style = super().choose_scalar_style()
        value = self.event.value
        if style != '"' and isinstance(value, str) and double_quoted(value) is not None:
            return '"'
        return style

    def write_double_quoted(self, text: Any, split: Any = True) -> None:
        quoted = double_quoted(text) if isinstance(text, str) else None
        if quoted is None:
            super().write_double_quoted(text, split)
        else:
            self.write_indicator(quoted, True)


def shown_escaped(text: str) -> str:
    r"""`text` with each character a manifest may not show as itself written as a JSON escape
    (`\u202e`), for output a person reads: a name the vendor holds, or one a manifest spells with
    escapes, must not reorder, hide or restyle what is around it in a terminal or a pull-request
    comment. JSON reads the escapes back (characters past U+FFFF become surrogate pairs)."""
    if REFUSED.search(text) is None:
        return text
    return REFUSED.sub(_json_escape, text)


def shown_inline(text: str) -> str:
    r"""`shown_escaped`, with line breaks as `\n` and `\r` too: for untrusted text that is part of one
    line of output, so it cannot start a line of its own. A CI log acts on a line that begins with a
    workflow command (GitHub's `::error::`, `::add-mask::`), a terminal goes back to the start of the
    line on `\r`, and a pull-request comment reads a new line as a new Markdown block. (The other line
    breaks, U+000B, U+000C, U+0085, U+2028 and U+2029, are escaped by `shown_escaped` already.)

    A name that holds a backslash followed by `n` shows the same as one holding a line break; the
    JSON output tells them apart."""
    text = shown_escaped(text)
    if "\n" in text or "\r" in text:
        text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
