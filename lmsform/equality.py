"""What "equal" means when a declared value is compared with the live one.

Whether a plan has changes, and so whether `drift` exits 2, depends on this and on nothing else,
whichever release of deepdiff is installed:

- numbers by value: 1, 1.0 and 1e0 are the same number, in lists and mappings too; a boolean is
  not a number (true differs from 1), as it is not to the vendors' JSON APIs;
- strings exactly: case, spaces and Unicode form all count (keys are normalised apart, before
  objects are matched, and instants are written one way before they get here: `canonical_instant`);
- lists in order: [a, b] differs from [b, a] (vendors keep the order of roles and items);
- mappings by their keys and values; null is a value of its own, unlike an empty list or string.

deepdiff compares nested values. Releases judge mixed types differently (deepdiff 9 began to report
[1] against [1.0]; deepdiff 7 does not tell [1] from [true]), so it is given values in which each
scalar is written one way and tagged with what it is, ("number", 1), ("boolean", True), and its
options that change what counts as a difference are set explicitly rather than left to defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from deepdiff import DeepDiff

# Compared with == when both sides have the same one of these types: DeepDiff costs about 100 times
# more per call (150 µs), which made it the planner's main cost on large accounts.
_PLAIN = (str, int, bool, type(None))


def same_value(declared: Any, live: Any) -> bool:
    """Whether the vendor holds the declared value, by the rules above."""
    if type(declared) is type(live) and isinstance(declared, _PLAIN):
        return bool(declared == live)
    if _is_number(declared) and _is_number(live):
        return bool(declared == live)
    if _is_number(declared) or _is_number(live) or _is_plain(declared) or _is_plain(live):
        return False  # a type change: 1 against "1", true or null
    if _strings(declared) and _strings(live):
        return bool(declared == live)
    difference = DeepDiff(
        _tagged(live),
        _tagged(declared),
        ignore_order=False,
        ignore_string_case=False,
        ignore_string_type_changes=False,
        ignore_numeric_type_changes=False,
        ignore_type_in_groups=None,
        significant_digits=None,
        math_epsilon=None,
    )
    return not difference


def _is_number(value: Any) -> bool:
    return type(value) in (int, float)


def _is_plain(value: Any) -> bool:
    return isinstance(value, _PLAIN)


def _strings(value: Any) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


def _tagged(value: Any) -> Any:
    """The value with each scalar as (what it is, its one spelling): a whole float as an int (1.0 → 1),
    so that equal numbers compare equal and nothing else of another kind does."""
    if isinstance(value, list | tuple):
        return [_tagged(item) for item in value]
    if isinstance(value, Mapping):
        return {name: _tagged(item) for name, item in value.items()}
    if type(value) is float and value.is_integer():
        return ("number", int(value))
    return (_KINDS.get(type(value), type(value).__name__), value)


_KINDS = {bool: "boolean", int: "number", float: "number", str: "string", type(None): "null"}
