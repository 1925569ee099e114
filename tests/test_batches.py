"""`chunks`: the one way providers cut a phase's changes into bulk calls."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lmsform.batches import chunks


@given(st.lists(st.integers()), st.integers(1, 20))
def test_chunks_keep_every_item_in_order_and_fill_all_but_the_last(items: list[int], size: int) -> None:
    batches = chunks(items, size)

    assert [item for batch in batches for item in batch] == items
    assert all(len(batch) == size for batch in batches[:-1])
    assert all(0 < len(batch) <= size for batch in batches)


def test_a_batch_of_no_items_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one item"):
        chunks([1, 2], 0)
