"""What a manifest can declare: one pydantic model per kind, and the kinds' identity rules.

Field policy lives here, next to the fields: which fields form the key, which fields declare
relationships (and become resources of their own), which defaults are managed even when omitted.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

Key = tuple[str, ...]
Mode = Literal["additive", "authoritative"]


class StrictModel(BaseModel):
    """Every model of lmsform: unknown fields are errors, so a typo in YAML never passes silently."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain.strip(".") or any(ch.isspace() for ch in value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_check_email)]
Name = Annotated[str, StringConstraints(min_length=1)]


class UserSpec(StrictModel):
    """A learner or staff account, identified by e-mail (compared case-insensitively)."""

    RELATIONS: ClassVar[frozenset[str]] = frozenset({"groups"})
    ALWAYS_MANAGED: ClassVar[frozenset[str]] = frozenset({"active"})

    email: Email = Field(description="The user's e-mail address; the key, compared case-insensitively.")
    first_name: str | None = Field(None, description="Given name. Omit to leave it as it is.")
    last_name: str | None = Field(None, description="Family name. Omit to leave it as it is.")
    active: bool = Field(True, description="false deactivates the user's access (default true).")
    groups: list[Name] = Field(
        default_factory=list, description="Groups the user is a member of (merged with the groups' members)."
    )


class GroupSpec(StrictModel):
    """A named group of users, identified by its exact name."""

    RELATIONS: ClassVar[frozenset[str]] = frozenset({"members"})
    ALWAYS_MANAGED: ClassVar[frozenset[str]] = frozenset()

    name: Name = Field(description="The group's name; the key, compared exactly.")
    members: list[Email] = Field(
        default_factory=list, description="E-mail addresses of members (merged with the users' groups)."
    )
    discount_percent: int | None = Field(
        None, ge=0, le=100, description="A discount applied to purchases by members, in percent."
    )


@dataclass(frozen=True)
class Kind:
    """Identity and dependency rules of one kind of resource."""

    name: str
    singular: str
    spec: type[StrictModel] | None
    key_fields: tuple[str, ...]
    normalise_key: Callable[[Mapping[str, Any]], Key]
    # Key field → the kind it refers to. A membership refers to a group and a user.
    refs: Mapping[str, str] = field(default_factory=dict)
    # Removals of this kind only touch objects whose parent (this ref) is declared in the manifests:
    # authoritative memberships govern the groups the manifests declare, not every group.
    removal_scope: str | None = None

    def key_of(self, fields: Mapping[str, Any]) -> Key:
        return self.normalise_key(fields)

    def ref_key(self, ref_field: str, key: Key) -> Key:
        return (key[self.key_fields.index(ref_field)],)


def address(kind: str, key: Key) -> str:
    """A resource's address as people see it: users["jane@acme.com"], memberships["eng", "jane@acme.com"]."""
    return f"{kind}[{', '.join(json.dumps(part, ensure_ascii=False) for part in key)}]"


USERS = Kind(
    name="users",
    singular="user",
    spec=UserSpec,
    key_fields=("email",),
    normalise_key=lambda fields: (str(fields["email"]).lower(),),
)
GROUPS = Kind(
    name="groups",
    singular="group",
    spec=GroupSpec,
    key_fields=("name",),
    normalise_key=lambda fields: (str(fields["name"]),),
)
MEMBERSHIPS = Kind(
    name="memberships",
    singular="membership",
    spec=None,
    key_fields=("group", "user"),
    normalise_key=lambda fields: (str(fields["group"]), str(fields["user"]).lower()),
    refs={"group": "groups", "user": "users"},
    removal_scope="group",
)

# Dependency order: creates run in this order, removals in reverse.
KINDS: tuple[Kind, ...] = (USERS, GROUPS, MEMBERSHIPS)
KINDS_BY_NAME: Mapping[str, Kind] = {kind.name: kind for kind in KINDS}
DECLARABLE: Mapping[str, Kind] = {kind.name: kind for kind in KINDS if kind.spec is not None}


def kind(name: str) -> Kind:
    return KINDS_BY_NAME[name]


class ManageConfig(StrictModel):
    """Per kind: `additive` leaves undeclared live objects alone; `authoritative` removes them."""

    users: Mode = "additive"
    groups: Mode = "additive"
    memberships: Mode = "additive"

    def mode(self, kind_name: str) -> Mode:
        mode: Mode = getattr(self, kind_name)
        return mode


class ProjectConfig(StrictModel):
    """The contents of lmsform.yaml. `provider` is validated by the chosen provider's own settings model."""

    version: Literal[1] = Field(1, description="Manifest format version.")
    provider: dict[str, Any] = Field(description="Which vendor, and its settings.")
    manage: ManageConfig = Field(default_factory=ManageConfig)


class ResourceFile(StrictModel):
    """A manifest file declaring resources; every top-level key names a kind."""

    users: list[UserSpec] = Field(default_factory=list)
    groups: list[GroupSpec] = Field(default_factory=list)
