"""Which environment variables a manifest may read. The trusted side (the environment) decides.

A pull request can edit every manifest, and its plan shows what the values become. If any variable
could be read, `first_name: ${HOME}` would print the runner's home, and the same goes for any CI
secret. So a manifest value may read only variables named LMSFORM_* or listed in LMSFORM_VARIABLES,
which the workflow sets and a pull request cannot change. lmsform's own settings (the plan key is
a secret) are never readable.

The provider's credential settings are the exception: they may name any variable, so the vendor's
usual names work (`${SKILLJAR_API_KEY}`). Their values are registered as secrets, masked in all
output, and sent only to an origin the environment allows (see `providers/origins.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lmsform.errors import Location

LISTED_VARIABLES = "LMSFORM_VARIABLES"
PLAN_KEY = "LMSFORM_PLAN_KEY"
OWN_PREFIX = "LMSFORM_"
# Variables that configure lmsform itself. The plan key is secret, and the others mean nothing in a
# manifest, so no value, not even a credential, may read them.
CONFIGURATION = frozenset({LISTED_VARIABLES, "LMSFORM_ALLOWED_ORIGINS", "LMSFORM_POLICY", PLAN_KEY})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def listed_variables(environ: Mapping[str, str]) -> frozenset[str]:
    """The names in LMSFORM_VARIABLES (comma-separated). Raises ValueError naming an entry that is not
    a variable name."""
    names = {part.strip() for part in environ.get(LISTED_VARIABLES, "").split(",")} - {""}
    for name in sorted(names):
        if not _NAME.fullmatch(name):
            raise ValueError(
                f"{LISTED_VARIABLES}: {name!r} is not a variable name: list names such as HOOK_PASSWORD, "
                "separated by commas"
            )
    return frozenset(names)


@dataclass(frozen=True)
class VariableAccess:
    """What the values of one manifest file may read."""

    listed: frozenset[str] = frozenset()
    # Variables that feed the provider's credential settings, mapped to the setting. No other value
    # may name them, because it would send the credential to the vendor or a webhook as data.
    credentials: Mapping[str, str] = field(default_factory=dict)
    # Where a value may name any variable: the provider's credential settings.
    unrestricted: frozenset[Location] = frozenset()

    def refusal(self, name: str, where: Location) -> str | None:
        """Why no value at `where` may ever read variable `name`, or None."""
        if name in CONFIGURATION:
            return f"${{{name}}} is a setting of lmsform itself, which no manifest value may read"
        if name in self.credentials and where not in self.unrestricted:
            return (
                f"${{{name}}} holds {self.credentials[name]}: a credential cannot be used in a manifest "
                "value, where lmsform would send it to the vendor as data"
            )
        return None

    def may_read(self, name: str, where: Location) -> bool:
        """Whether the environment lets the value at `where` read `name` (see `not_listed`)."""
        return where in self.unrestricted or name.startswith(OWN_PREFIX) or name in self.listed

    @staticmethod
    def not_listed(name: str) -> str:
        return (
            f"${{{name}}} may not be read: manifest values read only variables named {OWN_PREFIX}* or "
            f"listed in {LISTED_VARIABLES}, so that a pull request cannot print the runner's variables in "
            f"its plan. Rename it {OWN_PREFIX}{name}, or add {name} to {LISTED_VARIABLES} where the "
            "manifests cannot change it (the CI workflow's env)"
        )
