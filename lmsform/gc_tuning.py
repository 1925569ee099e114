"""How often CPython's cyclic garbage collector runs while a command builds large states.

By default the collector runs every 700 new container objects, and its older generations re-scan
everything built so far as the heap grows. A plan of a 20,000-learner account builds a few million
dicts, lists and resources, nearly all of them kept to the end and freed by reference counting, so
those passes found almost nothing and took about half of the time spent loading manifests and
reading the account. A command runs them fifty times less often; cycles are still collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# New container objects between two young-generation passes (CPython's default: 700).
COMMAND_THRESHOLD = 50_000


@contextmanager
def fewer_collections(threshold: int = COMMAND_THRESHOLD) -> Iterator[None]:
    """Run the young generation's collection every `threshold` allocations, then restore the settings."""
    before = gc.get_threshold()
    gc.set_threshold(max(threshold, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
