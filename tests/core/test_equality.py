"""What "equal" means when a declared value meets the live one: numbers by value, strings exactly,
lists in order. Pinned against a definition written out here, so that a deepdiff release that
judges differently (deepdiff 9 began to report [1] against [1.0]) fails this test, not a user's plan."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lmsform.equality import same_value


def equal_by_definition(declared: Any, live: Any) -> bool:
    if isinstance(declared, bool) or isinstance(live, bool):
        return type(declared) is type(live) and declared == live
    if isinstance(declared, int | float) and isinstance(live, int | float):
        return declared == live
    if isinstance(declared, list) and isinstance(live, list):
        return len(declared) == len(live) and all(map(equal_by_definition, declared, live))
    if isinstance(declared, dict) and isinstance(live, dict):
        return declared.keys() == live.keys() and all(
            equal_by_definition(declared[name], live[name]) for name in declared
        )
    return type(declared) is type(live) and declared == live


scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.sampled_from([0.0, 1.0, 2.0, 2.5, -1.0, 1e20])
    | st.sampled_from(["", "a", "A", "1", "é", unicodedata.normalize("NFD", "é")])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from("abc"), inner, max_size=3),
    max_leaves=8,
)


def _respelled(value: Any, data: st.DataObject) -> Any:
    """The same value, some of its whole numbers written as floats and back."""
    if type(value) is int and data.draw(st.booleans()):
        return float(value)
    if type(value) is float and value.is_integer() and data.draw(st.booleans()):
        return int(value)
    if isinstance(value, list):
        return [_respelled(item, data) for item in value]
    if isinstance(value, dict):
        return {name: _respelled(item, data) for name, item in value.items()}
    return value


@given(json_values, json_values)
def test_same_value_is_the_written_definition_for_any_two_values(declared: Any, live: Any) -> None:
    assert same_value(declared, live) is equal_by_definition(declared, live)


@given(json_values, st.data())
def test_a_value_is_equal_to_itself_with_numbers_spelt_otherwise(value: Any, data: st.DataObject) -> None:
    assert same_value(value, _respelled(value, data))


@pytest.mark.parametrize(
    ("declared", "live", "equal"),
    [
        ([1], [1.0], True),
        ({"a": [1, {"b": 2}]}, {"a": [1.0, {"b": 2.0}]}, True),
        ([1], [True], False),
        (1, True, False),
        ([0], [False], False),
        (["a", "b"], ["b", "a"], False),
        ([{"a": 1}, {"b": 2}], [{"b": 2}, {"a": 1}], False),
        ("Zoë", unicodedata.normalize("NFD", "Zoë"), False),
        ("a", "A", False),
        (None, [], False),
        (None, "", False),
        ([], [], True),
        ({"a": None}, {}, False),
        (2.5, 2.5, True),
        (10**20, 1e20, True),
    ],
)
def test_equality_cases_a_reviewer_would_name(declared: Any, live: Any, equal: bool) -> None:
    assert same_value(declared, live) is equal
