"""Which environment variables a manifest may read. The trusted side (the environment) decides.

A pull request can edit every manifest, and its plan shows what the values become. If any variable
could be read, `first_name: ${HOME}` would print the runner's home, and the same goes for any CI
secret. So a manifest value may read only variables named LMSFORM_* or listed in LMSFORM_VARIABLES,
which the workflow sets and a pull request cannot change. lmsform's own settings (the plan key is
a secret) are never readable.

The provider's credential settings are the exception: they may name any variable, so the vendor's
usual names work (`${SKILLJAR_API_KEY}`). Their values are registered as secrets, masked in all
output, and sent only to an origin the environment allows (see `providers/origins.py`).

Two more forms, for projects that differ by environment (staging, production):

* `${NAME:-default}` reads NAME under the same rules, and gives `default` where NAME is not set or
  empty (as the shell's `:-`).
* `${var.NAME}` reads a value of lmsform.yaml's `variables:` block, for values that are not secrets.
  As Terraform's `TF_VAR_name` wins over a variable's default, the environment's `LMSFORM_VAR_NAME`
  (the trusted side) wins over the block (which a pull request can change).

Neither form may fill a secret (a credential setting, a password): a default, or a block's value,
would be a secret written in the repository. A secret is only ever `${NAME}`.
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
# The key of redaction's pseudonyms (output/redaction.py): a manifest that could read it would save it
# in a plan, send it to the vendor, and let its author reverse every pseudonym.
REDACT_KEY = "LMSFORM_REDACT_KEY"
CONFIGURATION = frozenset(
    {LISTED_VARIABLES, "LMSFORM_ALLOWED_ORIGINS", "LMSFORM_POLICY", PLAN_KEY, REDACT_KEY}
)
# `${var.NAME}` reads the environment variable of this prefix first, and the block after it.
BLOCK_PREFIX = "LMSFORM_VAR_"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REFERENCE = re.compile(
    r"(?P<block>var\.)(?P<declared>[A-Za-z_][A-Za-z0-9_]*)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>.*))?",
    re.DOTALL,
)


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
class VariableReference:
    """What one `${...}` of a manifest value reads (see the module's docstring)."""

    # The environment variable read: `${var.NAME}` reads LMSFORM_VAR_NAME.
    name: str
    # `${NAME:-default}`'s default; None when there is none.
    default: str | None = None
    # `${var.NAME}`: NAME, a name of the `variables:` block; None for an environment variable.
    declared: str | None = None

    @staticmethod
    def parse(inner: str) -> VariableReference | None:
        """The reference written `${inner}`, or None when it is none of the forms."""
        match = _REFERENCE.fullmatch(inner)
        if match is None:
            return None
        if match["block"]:
            return VariableReference(BLOCK_PREFIX + match["declared"], declared=match["declared"])
        return VariableReference(match["name"], default=match["default"])

    @property
    def written(self) -> str:
        """How a message names it: never with its default, which may be a secret written by mistake."""
        if self.declared is not None:
            return f"${{var.{self.declared}}}"
        return f"${{{self.name}:-…}}" if self.default is not None else f"${{{self.name}}}"

    @property
    def is_plain(self) -> bool:
        """`${NAME}`: the one form a secret may take."""
        return self.default is None and self.declared is None


@dataclass(frozen=True)
class VariableAccess:
    """What the values of one manifest file may read."""

    listed: frozenset[str] = frozenset()
    # Variables that feed the provider's credential settings, mapped to the setting. No other value
    # may name them, because it would send the credential to the vendor or a webhook as data.
    credentials: Mapping[str, str] = field(default_factory=dict)
    # Where a value may name any variable: the provider's credential settings.
    unrestricted: frozenset[Location] = frozenset()
    # lmsform.yaml's `variables:` block: a value, or None for one the environment must give.
    declared: Mapping[str, str | None] = field(default_factory=dict)

    def refusal(self, reference: VariableReference, where: Location) -> str | None:
        """Why no value at `where` may ever read `reference`, or None."""
        name = reference.name
        if name in CONFIGURATION:
            return f"${{{name}}} is a setting of lmsform itself, which no manifest value may read"
        if name in self.credentials and where not in self.unrestricted:
            return (
                f"{reference.written} holds {self.credentials[name]}: a credential cannot be used in a "
                "manifest value, where lmsform would send it to the vendor as data"
            )
        if where in self.unrestricted and not reference.is_plain:
            return (
                f"{reference.written}: a credential is read only as ${{{name}}}, without a default or a "
                "value of `variables:`, which would be a secret written in the repository"
            )
        if reference.declared is not None and reference.declared not in self.declared:
            names = ", ".join(sorted(self.declared)) or "none"
            return (
                f"{reference.written} is not declared: lmsform.yaml's `variables:` block gives a value "
                f"(or null, for one that {name} must give) to each name it uses (declared: {names})"
            )
        return None

    def value(self, reference: VariableReference, environ: Mapping[str, str]) -> str | None:
        """What `reference` reads; None when nothing gives it a value. Where there is a default (the
        block's value is `${var.NAME}`'s), an empty variable counts as not set."""
        given = environ.get(reference.name)
        default = (
            self.declared.get(reference.declared) if reference.declared is not None else reference.default
        )
        if default is None:
            return given
        return given or default

    @staticmethod
    def unset(reference: VariableReference) -> str:
        """Why `reference`, which reads a variable the environment does not set, has no value."""
        if reference.declared is not None:
            return (
                f"{reference.written} has no value: `variables:` declares it null, so the environment "
                f"must set {reference.name}"
            )
        return f"environment variable {reference.name} is not set"

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
