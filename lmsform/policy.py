"""Rails the trusted side sets: protection and thresholds that a pull request cannot loosen.

`protect:` and `safety:` live in lmsform.yaml, which a pull request can edit: one pull request could
drop a protection and use it at once, or raise `max_remove_percent` to 100. The environment (the
workflow on the default branch) may set LMSFORM_POLICY to a YAML mapping of the same shape:

    protect: {users: [ceo@acme.com]}
    safety: {max_remove_percent: 10, kinds: {users: {max_remove_percent: 5}}}

Each plan then keeps the stricter of the two: protection is the union of both lists, and every
threshold (and `min_existing`) the lower of the two values.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from lmsform.errors import Issue, ManifestError
from lmsform.project_config import KindName, Patterns, ProjectConfig, SafetyConfig, Threshold
from lmsform.specs import StrictModel

POLICY_VARIABLE = "LMSFORM_POLICY"
_MAX_LENGTH = 100_000  # an environment variable, not a manifest: a policy is a few lines
_DEFAULT_MIN_EXISTING: int = SafetyConfig.model_fields["min_existing"].default


class _TrustedSafety(StrictModel):
    max_remove_percent: float | None = Field(None, ge=0, le=100)
    max_update_percent: float | None = Field(None, ge=0, le=100)
    min_existing: int | None = Field(None, ge=0)
    kinds: dict[KindName, Threshold] = Field(default_factory=dict)

    def limits(self, kind_name: str) -> tuple[float, float]:
        """Its limits for a kind; 100 % where it sets none."""
        override = self.kinds.get(kind_name)
        remove = override.max_remove_percent if override is not None else None
        update = override.max_update_percent if override is not None else None
        return (
            _first(remove, self.max_remove_percent, 100.0),
            _first(update, self.max_update_percent, 100.0),
        )


class TrustedPolicy(StrictModel):
    protect: Patterns = Field(default_factory=dict)
    safety: _TrustedSafety = Field(default_factory=lambda: _TrustedSafety.model_validate({}))


def _first(*values: float | None) -> float:
    return next(value for value in values if value is not None)


def trusted_policy(environ: Mapping[str, str]) -> TrustedPolicy | None:
    """The policy LMSFORM_POLICY sets, None when it is unset or empty; ManifestError when it is not one."""
    text = environ.get(POLICY_VARIABLE, "")
    if not text.strip():
        return None
    if len(text) > _MAX_LENGTH:
        raise _error(f"it is longer than {_MAX_LENGTH} characters")
    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as error:
        raise _error(f"it is not YAML: {str(error).splitlines()[0]}") from None
    try:
        return TrustedPolicy.model_validate(data if data is not None else {})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, problem['loc'])) or 'the policy'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise _error(problems) from None


def _error(problem: str) -> ManifestError:
    return ManifestError(
        [
            Issue(
                None,
                f"{POLICY_VARIABLE} (environment): {problem}. It takes a YAML mapping with `protect:` and "
                "`safety:`, written as in lmsform.yaml",
            )
        ]
    )


def strictest(config: ProjectConfig, policy: TrustedPolicy | None) -> ProjectConfig:
    """The project's configuration with the trusted policy's protection added and its thresholds
    applied wherever they are lower."""
    if policy is None:
        return config
    protect: dict[str, list[str]] = {name: list(patterns) for name, patterns in config.protect.items()}
    for name, patterns in policy.protect.items():
        protect[name] = list(dict.fromkeys([*protect.get(name, []), *patterns]))
    return config.model_copy(update={"protect": protect, "safety": _stricter(config.safety, policy.safety)})


def _stricter(own: SafetyConfig, trusted: _TrustedSafety) -> SafetyConfig:
    kinds = {
        name: Threshold(
            max_remove_percent=min(own.limits(name)[0], trusted.limits(name)[0]),
            max_update_percent=min(own.limits(name)[1], trusted.limits(name)[1]),
        )
        for name in {*own.kinds, *trusted.kinds}
    }
    return own.model_copy(
        update={
            "max_remove_percent": min(own.max_remove_percent, _first(trusted.max_remove_percent, 100.0)),
            "max_update_percent": min(own.max_update_percent, _first(trusted.max_update_percent, 100.0)),
            # Unset in the policy, the default holds: a manifest may lower it, never raise it (a huge
            # min_existing would switch every threshold off).
            "min_existing": min(own.min_existing, _first_int(trusted.min_existing, _DEFAULT_MIN_EXISTING)),
            "kinds": kinds,
        }
    )


def _first_int(value: int | None, default: int) -> int:
    return default if value is None else value
