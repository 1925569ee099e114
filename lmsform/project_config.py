"""The files of a project: `lmsform.yaml` (provider, manage, output, safety, protect, ignore) and the
resource files, whose top-level keys are the declarable kinds. Models made from `KINDS` take one field
per kind, so that a new kind is declared once (in `kinds`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StringConstraints, create_model

from lmsform.kinds import DECLARABLE, KIND_NAMES, KINDS
from lmsform.specs import StrictModel

Mode = Literal["additive", "authoritative"]


class _ManageModes(StrictModel):
    """Per kind: `additive` leaves undeclared live objects alone; `authoritative` removes them."""

    def mode(self, kind_name: str) -> Mode:
        mode: Mode = getattr(self, kind_name, "additive")
        return mode


# The models below take one field per kind, made from KINDS so that a new kind is declared once. The
# type checker sees their base, whose methods are all the code uses (their fields are read by name).
if TYPE_CHECKING:

    class ManageConfig(_ManageModes):
        def __init__(self, **modes: Mode) -> None: ...

else:
    ManageConfig = create_model(
        "ManageConfig",
        __base__=_ManageModes,
        __doc__=_ManageModes.__doc__,
        **{kind.name: (Mode, "additive") for kind in KINDS if kind.managed_mode and not kind.reference_only},
    )


Redaction = Literal["none", "emails"]
if TYPE_CHECKING:
    KindName = str
else:
    KindName = Literal[KIND_NAMES]
Patterns = dict[KindName, list[str]]
# Shown in plan headers and compared on apply: plain words only, so no format needs to escape it.
EnvironmentName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
VariableName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class OutputConfig(StrictModel):
    redact: Redaction = Field(
        "none", description="`emails` masks e-mail local parts and names in text and Markdown output."
    )


class Threshold(StrictModel):
    max_remove_percent: float | None = Field(None, ge=0, le=100)
    max_update_percent: float | None = Field(None, ge=0, le=100)


class SafetyConfig(StrictModel):
    """Refuse plans that remove or update too large a share of a kind (octoDNS-style), unless --force."""

    max_remove_percent: float = Field(
        30, ge=0, le=100, description="Largest share of a kind one plan may remove."
    )
    max_update_percent: float = Field(
        30, ge=0, le=100, description="Largest share of a kind one plan may update."
    )
    min_existing: int = Field(
        10, ge=0, description="Thresholds apply once a kind has this many live objects."
    )
    kinds: dict[KindName, Threshold] = Field(default_factory=dict, description="Per-kind overrides.")

    def limits(self, kind_name: str) -> tuple[float, float]:
        override = self.kinds.get(kind_name)
        remove = override.max_remove_percent if override and override.max_remove_percent is not None else None
        update = override.max_update_percent if override and override.max_update_percent is not None else None
        return (
            self.max_remove_percent if remove is None else remove,
            self.max_update_percent if update is None else update,
        )


class ProjectConfig(StrictModel):
    """The contents of lmsform.yaml. `provider` is validated by the chosen provider's own settings model."""

    version: Literal[1] = Field(1, description="Manifest format version.")
    environment: EnvironmentName | None = Field(
        None,
        description="Which environment this project is (staging, production): plans name it, and a saved "
        "plan applies only to a project of the same environment.",
    )
    include: list[str] = Field(
        default_factory=list,
        description="Files or folders of manifests, relative to this folder and inside its git repository "
        "(e.g. ../shared/people), loaded with the project's own. Never through a symbolic link.",
    )
    variables: dict[VariableName, str | None] = Field(
        default_factory=dict,
        description="Values that are not secrets, read as ${var.NAME}. LMSFORM_VAR_NAME in the environment "
        "wins over the value here; a null value must come from it. Never a credential or a password.",
    )
    provider: dict[str, Any] = Field(description="Which vendor, and its settings.")
    manage: ManageConfig = Field(default_factory=ManageConfig)
    output: OutputConfig = Field(default_factory=lambda: OutputConfig.model_validate({}))
    safety: SafetyConfig = Field(default_factory=lambda: SafetyConfig.model_validate({}))
    protect: Patterns = Field(
        default_factory=dict,
        description="Per kind, keys or glob patterns of objects lmsform must never remove or demote, "
        "even after they leave the manifests.",
    )
    ignore: Patterns = Field(
        default_factory=dict,
        description="Per kind, keys or glob patterns of live objects lmsform neither reports nor touches.",
    )

    def protected(self, kind_name: str) -> list[str]:
        return list(self.protect.get(kind_name, []))

    def ignored(self, kind_name: str) -> list[str]:
        return list(self.ignore.get(kind_name, []))


if TYPE_CHECKING:
    ResourceFile = StrictModel
else:
    ResourceFile = create_model(
        "ResourceFile",
        __base__=StrictModel,
        __doc__="A manifest file declaring resources; every top-level key names a kind (a list of entries, "
        "or one mapping for a kind of one object: `domain`).",
        **{
            name: (kind.spec | None, None)
            if kind.singleton
            else (list[kind.spec], Field(default_factory=list))
            for name, kind in DECLARABLE.items()
        },
    )
