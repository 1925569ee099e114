"""Cutting a sequence into batches: a vendor's bulk call takes at most so many items at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> list[tuple[T, ...]]:
    """`items` in order, in tuples of `size` (the last may be shorter)."""
    if size < 1:
        raise ValueError(f"a batch holds at least one item, not {size}")
    return [tuple(items[start : start + size]) for start in range(0, len(items), size)]
