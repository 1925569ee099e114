"""The repository's examples, copied as a fresh clone holds them."""

from __future__ import annotations

import shutil
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def copy_example(name: str, destination: Path, *, examples: Path = EXAMPLES) -> Path:
    """examples/NAME copied to `destination`, without the `.lmsform/` folder (sandbox data, journals,
    locks) that a user's own run of the example leaves in the checkout: no test may depend on it."""
    shutil.copytree(examples / name, destination, ignore=shutil.ignore_patterns(".lmsform"))
    return destination
