"""The provider contract: what a vendor implements, and what the core may rely on.

A provider declares what it can manage (`supports`), reads the live account into a State, and
turns planned changes into API calls. Planning, ordering, safety and output are the core's job.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, get_args
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from requests.auth import AuthBase

from lmsform import secrets
from lmsform.errors import ProviderError
from lmsform.kinds import Key, Kind, address
from lmsform.plan import Action, Change, Plan
from lmsform.project_config import ManageConfig
from lmsform.providers.endpoints import VendorEndpoints
from lmsform.providers.http import HttpClient
from lmsform.providers.origins import ALLOWED_ORIGINS_VARIABLE, canonical_url, is_loopback_literal, origin
from lmsform.specs import Flag, StrictModel
from lmsform.state import State

if TYPE_CHECKING:
    from lmsform.state import Resource

SANDBOX = "sandbox"


class Removal(StrEnum):
    """How a vendor removes an object the manifests no longer declare (with `authoritative`)."""

    DELETE = "delete"
    DEACTIVATE = "deactivate"  # the kind has an `active` field and no delete
    NONE = "none"


Readback = Callable[[Any, Any], "bool | None"]


@dataclass(frozen=True)
class Prerequisite:
    """A rule across kinds: the vendor makes an object of a kind only for an object its key names (of
    kind `kind`) whose `field` is `value` (Damstra schedules lessons for active users only).

    What breaks it is refused before any call: `validate` refuses a declaration the manifests make
    impossible, `plan` one the live object does. The named kind must come earlier in the plan's
    phase order, so that a change the plan makes to `field` is made first.
    """

    kind: str
    field: str
    value: Any
    # What the named object is when `field` has another value ("inactive").
    otherwise: str
    # Why the vendor refuses, for the message ("Damstra schedules lessons only for active users").
    reason: str


@dataclass(frozen=True)
class KindSupport:
    """What a provider can manage of one kind."""

    fields: frozenset[str]
    relations: frozenset[str] = frozenset()
    removal: Removal = Removal.NONE
    removal_note: str = ""
    # Kinds whose objects referring to a removed object are removed with it by the vendor.
    cascades: tuple[str, ...] = ()
    # Fields the core knows but this vendor cannot manage, with the reason.
    unsupported_fields: Mapping[str, str] = field(default_factory=dict)
    # False when the API cannot read objects of this kind back: they are re-sent on every apply.
    readable: bool = True
    # The fields that identify an object of this kind at this vendor (users: `username` or `email`);
    # None: the kind's own key fields. They must be declared.
    key: tuple[str, ...] | None = None
    # Fields besides the key that every entry must declare at this vendor (Damstra users' e-mail).
    required: frozenset[str] = frozenset()
    # False when the API cannot change an object once made: a difference is reported, not planned.
    # Also False for a relationship that is nothing but its key (a membership): there is nothing to change.
    updatable: bool = True
    # Fields the API takes only when creating an object: never compared afterwards.
    create_only: frozenset[str] = frozenset()
    # Fields the API reads back only in part, or not at all: given the declared and the live value,
    # True (the same), False (they differ) or None (cannot tell: apply sends the value again).
    readback: Mapping[str, Readback] = field(default_factory=dict)
    # False when the vendor cannot change an object's key (Versal's e-mail addresses): an object
    # declared with a former key (`previously`) replaces the live one instead of renaming it.
    renames: bool = True
    # Values a new object gets where the manifests say nothing (shown in the plan); afterwards an
    # omitted field is left as it is, like any other.
    create_defaults: Mapping[str, Any] = field(default_factory=dict)
    # True when the API cannot manage objects of this kind at all and the manifests only name them for
    # other objects to refer to (Training Records' people and packages): entries give a readable key
    # and the vendor's `api_id`, are never read or planned, and every reference must be to one of them.
    names_only: bool = False
    # Rules objects of this kind must meet to be created (see Prerequisite).
    create_requires: tuple[Prerequisite, ...] = ()
    # Fields the API can set but never clear, with the reason (Damstra's group parent: a number, with
    # no null). A declared null where the live object has a value is reported on every plan, like a
    # change an object that is not `updatable` cannot take; it is never planned.
    uncleared: Mapping[str, str] = field(default_factory=dict)
    # Values the declared ones imply where the manifests leave a field out, managed as if declared
    # (a Versal learner is tracked: Versal shows an untracked learner nowhere).
    implied: Callable[[Mapping[str, Any]], Mapping[str, Any]] = field(default=lambda fields: {})
    # Fields that grant access, for telling a demotion (lmsform.safety): each gives its values from
    # the least to the most privileged, and a change to a lower one demotes the object; an empty
    # order makes the field a set of grants of their own (a list of roles), where losing any entry
    # demotes it. `active` needs none: turning any object inactive is a demotion.
    privileges: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    # Fields besides the key that identify the object to people or to the vendor (the e-mail address
    # password resets go to): changing one moves the object's identity, which is a demotion too.
    identity: frozenset[str] = frozenset()
    # The kind this vendor's objects name where the core's is another, by the core's: a Skilljar
    # session's instructor is one of its instructors, not a user ({"users": "instructors"}).
    references: Mapping[str, str] = field(default_factory=dict)
    # Why `manage.<kind>: authoritative` is refused at this vendor, where its API can list objects of
    # the kind but never remove one (Skilljar's sessions and instructors); empty: it is allowed.
    never_authoritative: str = ""

    def field_refs(self, kind: Kind, fields: Mapping[str, Any]) -> tuple[tuple[str, Key], ...]:
        """The objects `fields` name (`kind.field_refs`), each of the kind this vendor keeps them as."""
        return tuple((self.references.get(target, target), key) for target, key in kind.field_refs(fields))


def write_only(declared: Any, live: Any) -> bool | None:
    """A field the API never reports back."""
    return None


def _holds_secret_text(annotation: Any) -> bool:
    return annotation is SecretStr or SecretStr in get_args(annotation)


class ProviderSettings(StrictModel):
    """Settings every provider takes; each vendor's model adds its own."""

    type: str
    base_url: str | None = Field(
        None, description="API root; default: the vendor's. `sandbox` runs the built-in emulator."
    )
    parallelism: int = Field(4, ge=1, le=64, description="How many API calls may run at once.")
    timeout: float = Field(30.0, gt=0, le=600, description="Seconds to wait for one API response.")
    retries: int = Field(
        5, ge=0, le=10, description="Retries of a failed idempotent call (429, 5xx, connection errors)."
    )
    rate_limit: float | None = Field(
        None,
        gt=0,
        description="Most API calls per minute, spaced evenly (e.g. 600 for Skilljar's documented burst "
        "limit); default: no pacing, 429 answers are waited out as they come.",
    )

    allow_insecure: Flag = Field(
        False,
        description="Allow a plain http:// base_url on another machine than this one; the API key then "
        "crosses the network unencrypted (lmsform warns on every run).",
    )

    @field_validator("*")
    @classmethod
    def _credential_is_a_secret(cls, value: Any) -> Any:
        """Every credential the settings hold (a SecretStr) must hold something, and is masked in all
        output from the moment it is read."""
        if isinstance(value, SecretStr):
            if not value.get_secret_value().strip():
                raise ValueError("is empty")
            secrets.register(value.get_secret_value())
        return value

    @field_validator("base_url")
    @classmethod
    def _base_url_is_http(cls, value: str | None) -> str | None:
        if value is None or value == SANDBOX:
            return value
        return canonical_url(value)

    @model_validator(mode="after")
    def _encrypted_unless_loopback(self) -> ProviderSettings:
        if self.insecure and not self.allow_insecure:
            raise ValueError(
                f"base_url {self.base_url} is plain http:// to another machine: the API key would cross the "
                "network unencrypted. Use https://, or set allow_insecure: true if you must"
            )
        return self

    @model_validator(mode="after")
    def _key_unless_sandbox(self) -> ProviderSettings:
        setting = self.key_setting()
        if setting is not None and self.credential() is None and not self.uses_sandbox:
            example = f"{setting}: ${{{self.KEY_VARIABLE}}}"
            raise ValueError(f"{setting} is required unless base_url is `sandbox` (e.g. {example})")
        return self

    @property
    def insecure(self) -> bool:
        """The API is reached over plain http on another machine than this one."""
        if not self.base_url or self.uses_sandbox:
            return False
        return urlsplit(self.base_url).scheme == "http" and not is_loopback_literal(self.base_url)

    DEFAULT_API_ROOT: ClassVar[str] = ""
    # The environment variable the message asking for a missing key suggests (`SKILLJAR_API_KEY`).
    KEY_VARIABLE: ClassVar[str] = ""
    # Settings besides the SecretStr ones that are part of the credentials (an API user name).
    OTHER_CREDENTIALS: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def credential_settings(cls) -> frozenset[str]:
        """The settings that hold credentials. Only these may name any environment variable, because
        their values are registered as secrets and go only where `credential_refusal` allows."""
        secret = {name for name, field in cls.model_fields.items() if _holds_secret_text(field.annotation)}
        return frozenset(secret) | cls.OTHER_CREDENTIALS

    def credential_refusal(self, allowed: frozenset[str]) -> str | None:
        """Why the credentials must not be sent to the API root, or None when they may go there. They
        may go to the vendor's official origin, to a loopback IP literal, or to an origin in `allowed`
        (from the environment, which a pull request cannot change, unlike base_url)."""
        if not self.base_url or self.uses_sandbox or is_loopback_literal(self.base_url):
            return None
        destination = origin(self.base_url)
        if destination == origin(self.DEFAULT_API_ROOT) or destination in allowed:
            return None
        return (
            f"base_url: lmsform will not send the credentials to {destination}: it is neither the vendor's "
            f"API ({origin(self.DEFAULT_API_ROOT)}) nor a loopback address (127.0.0.1, ::1). If it is "
            f"yours, allow it where a pull request cannot: set {ALLOWED_ORIGINS_VARIABLE}={destination} "
            "in the environment (the CI workflow), comma-separated with any others"
        )

    @property
    def uses_sandbox(self) -> bool:
        return self.base_url == SANDBOX

    @property
    def api_root(self) -> str:
        return self.base_url or self.DEFAULT_API_ROOT

    @classmethod
    def key_setting(cls) -> str | None:
        """The setting that holds the API key: the one credential kept as a SecretStr."""
        return next(
            (name for name, field in cls.model_fields.items() if _holds_secret_text(field.annotation)), None
        )

    def credential(self) -> str | None:
        """The secret that authenticates API calls, if configured."""
        setting = self.key_setting()
        key = getattr(self, setting) if setting is not None else None
        return key.get_secret_value() if isinstance(key, SecretStr) else None

    def target(self) -> str:
        """What this configuration points at, for plan headers (a domain, an organisation)."""
        return self.type


class ApplyContext:
    """What an apply knows besides the plan's changes.

    The vendor ids of live objects and of objects created so far; when the plan was made (a stable
    timestamp for vendors whose creates are idempotent on one); write-only secrets from the
    environment, which plans never hold.
    """

    def __init__(
        self,
        known: Mapping[tuple[str, Key], Mapping[str, str]],
        *,
        planned_at: str,
        secrets: Mapping[tuple[str, Key], Mapping[str, str]] | None = None,
    ) -> None:
        self._ids = {ref: dict(ids) for ref, ids in known.items()}
        self._lock = threading.Lock()
        self.planned_at = planned_at
        self._secrets = secrets or {}

    def id_of(self, kind: str, key: Key, which: str = "id") -> str:
        """A vendor id of an object (`which` names another of its ids, e.g. a path's definition)."""
        with self._lock:
            vendor_id = self._ids.get((kind, key), {}).get(which)
        if vendor_id is None:
            raise LookupError(f"the id of {address(kind, key)} is not known (was it created?)")
        return vendor_id

    def record(self, kind: str, key: Key, vendor_id: str) -> None:
        with self._lock:
            self._ids.setdefault((kind, key), {})["id"] = vendor_id

    def secret(self, kind: str, key: Key, name: str) -> str | None:
        return self._secrets.get((kind, key), {}).get(name)


@dataclass(frozen=True)
class Work:
    """One unit of API work that completes one or more planned changes (several: a bulk call).

    The works of one phase run in parallel, wave by wave: every work of a wave has finished before
    any work of the next wave starts (a child group needs the id of its parent, made in an earlier
    wave). Most works need no order and stay in wave 0.
    """

    changes: tuple[Change, ...]
    run: Callable[[ApplyContext], None]
    wave: int = 0


SettingsT = TypeVar("SettingsT", bound=ProviderSettings)
ClientT = TypeVar("ClientT")
# Carries out one planned change with a provider's client (one vendor API call or a few).
Operation = Callable[[ClientT, Change, ApplyContext], None]


@dataclass(eq=False)
class Reading(Generic[ClientT]):
    """One read of a live account, for a vendor's reader to build on: its API client, what the
    manifests declare and manage, how many calls may run at once, whether to read every object the
    API can read (export), and the State the objects read go into."""

    client: ClientT
    desired: State
    manage: ManageConfig
    parallelism: int
    everything: bool
    live: State = field(default_factory=State)


class Provider(ABC):
    """What the core relies on: a vendor's policy as data (`supports` and the rest), reading, and
    carrying out planned changes. A vendor reached over HTTP builds on `ApiProvider`."""

    name: ClassVar[str]
    title: ClassVar[str]
    settings_model: ClassVar[type[ProviderSettings]]
    supports: ClassVar[Mapping[str, KindSupport]]
    # Kinds lmsform knows that this vendor's API cannot manage, with the reason.
    unsupported_kinds: ClassVar[Mapping[str, str]] = {}
    # What an enrollment's target word in the manifests (`course:`) is at this vendor (a lesson).
    enrollment_targets: ClassVar[Mapping[str, str]] = {}
    # The user roles this vendor has, by the names manifests use.
    roles: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def __init__(self, settings: ProviderSettings, *, api_root: str, credential: str) -> None:
        """Connect to the API at `api_root` (the vendor's, or an emulator's)."""

    @classmethod
    def check_fields(cls, kind: str, fields: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Vendor limits on declared values, checked offline: (field, message) pairs."""
        return []

    @abstractmethod
    def read(self, desired: State, manage: ManageConfig) -> State:
        """Read the live objects the manifests can affect."""

    @abstractmethod
    def read_all(self) -> State:
        """Every object of the account this API can read, for `lmsform export`."""

    def read_taken(self, live: State, removals: Sequence[Change]) -> list[Resource]:
        """The live objects the vendor removes along with `removals` (the kinds' `cascades`, all the
        way down) that `read` left out, e.g. the members of a group the manifests no longer name.

        Asked only for a plan's removals, so that a plan without any costs no request more; the plan
        is then made again with these objects, to show them, count them and protect them. None by
        default: a provider whose `read` covers every cascade needs nothing more."""
        return []

    def notices(self, plan: Plan) -> list[str]:
        """What the vendor will do besides the planned changes, for reviewers. None by default."""
        return []

    def guarded(self, live: State) -> dict[tuple[str, Key], str]:
        """Objects no plan may remove or demote, with the reason: the owner of the API key, the
        vendor's account owners (lock-out guard). None by default."""
        return {}

    def work(self, kind: str, action: Action, changes: Sequence[Change]) -> list[Work]:
        """Group a phase's changes into units of API work; by default one call per change."""
        return [Work((change,), _bind(self.execute, change)) for change in changes]

    @abstractmethod
    def execute(self, change: Change, context: ApplyContext) -> None:
        """Carry out one change."""

    def close(self) -> None:  # noqa: B027 - providers without resources need no cleanup
        """Release connections."""


class ApiProvider(Provider, Generic[SettingsT, ClientT]):
    """The plumbing every vendor shares: its settings, one HTTP client, the vendor's API `client` on
    top of it, reads through one `read_state`, and each planned change carried out by the operation
    `OPERATIONS` gives for its kind and action.

    A vendor declares what differs: `supports`, `OPERATIONS` (the contract test checks it covers every
    kind and action `supports` lets the planner plan), how calls authenticate, its client and its
    reader; bulk calls by overriding `batched_work`.
    """

    OPERATIONS: ClassVar[Mapping[tuple[str, Action], Operation[Any]]]
    # Which endpoints each operation calls and why the others are left alone (docs/coverage.md).
    ENDPOINTS: ClassVar[VendorEndpoints]
    # Headers every call sends besides authentication.
    HEADERS: ClassVar[Mapping[str, str]] = {}

    def __init__(self, settings: SettingsT, *, api_root: str, credential: str) -> None:
        self.settings = settings
        self.http = HttpClient.for_settings(
            settings,
            vendor=self.name,
            base_url=api_root,
            auth=self.authentication(credential),
            headers=self.HEADERS,
        )
        self.client = self.connect(self.http)

    @abstractmethod
    def authentication(self, credential: str) -> AuthBase:
        """How every call carries `credential`."""

    @abstractmethod
    def connect(self, http: HttpClient) -> ClientT:
        """The vendor's API (one method per endpoint) over `http`."""

    @abstractmethod
    def read_state(self, desired: State, manage: ManageConfig, *, everything: bool) -> State:
        """The live objects the manifests can affect; with `everything`, every object of the account
        the API can read."""

    def read(self, desired: State, manage: ManageConfig) -> State:
        return self.read_state(desired, manage, everything=False)

    def read_all(self) -> State:
        return self.read_state(State(), ManageConfig(), everything=True)

    def work(self, kind: str, action: Action, changes: Sequence[Change]) -> list[Work]:
        batched = self.batched_work(kind, action, changes)
        return batched if batched is not None else super().work(kind, action, changes)

    def batched_work(self, kind: str, action: Action, changes: Sequence[Change]) -> list[Work] | None:
        """The units of work of a phase where they are not one call per change (bulk calls, a guard
        per phase), from the vendor's `operations.work`; None (the default): one call per change."""
        return None

    def execute(self, change: Change, context: ApplyContext) -> None:
        operation = self.OPERATIONS.get((change.kind, change.action))
        if operation is None:
            raise ProviderError(
                vendor=self.name, message=f"cannot {change.action.value} {change.kind}", key=change.address
            )
        operation(self.client, change, context)

    def close(self) -> None:
        self.http.close()


def _bind(execute: Callable[[Change, ApplyContext], None], change: Change) -> Callable[[ApplyContext], None]:
    return lambda context: execute(change, context)
