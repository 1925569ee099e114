"""Load a project directory (lmsform.yaml plus resource files) into settings and a desired State.

Every problem is collected with its file:line:column and reported together, so one run shows all
that is wrong. Nothing here talks to a vendor: references to objects that may exist only live are
returned as `unresolved` and checked by the planner against the live state.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from lmsform.errors import Issue, Location, ManifestError, relative
from lmsform.model import (
    DECLARABLE,
    KINDS_BY_NAME,
    MEMBERSHIPS,
    Key,
    Kind,
    ManageConfig,
    ProjectConfig,
    StrictModel,
)
from lmsform.providers.base import Provider, ProviderSettings, Removal
from lmsform.state import Resource, State
from lmsform.yamlsource import Document, interpolate_environment, load, plain

CONFIG_FILE = "lmsform.yaml"
RESOURCE_SUFFIXES = (".yaml", ".yml")
_M = TypeVar("_M", bound=StrictModel)

# Relation fields of declarable kinds → how each entry becomes a membership (group, user).
_RELATIONS: Mapping[tuple[str, str], str] = {("users", "groups"): "group", ("groups", "members"): "user"}


@dataclass(frozen=True)
class Reference:
    """A declared object's reference to an object the manifests do not declare."""

    kind: str
    key: Key
    source: Location | None
    by: str


@dataclass(frozen=True)
class Project:
    root: Path
    config: ProjectConfig
    settings: ProviderSettings
    provider: type[Provider]
    desired: State
    unresolved: tuple[Reference, ...] = ()


def load_project(
    directory: Path,
    *,
    providers: Mapping[str, type[Provider]],
    environ: Mapping[str, str] | None = None,
) -> Project:
    root = Path(directory)
    config_path = root / CONFIG_FILE
    if not config_path.is_file():
        where = relative(root)
        raise ManifestError(
            [Issue(None, f"{where}: no {CONFIG_FILE} here; a project directory holds {CONFIG_FILE}")]
        )
    issues: list[Issue] = []
    config_doc = _load_collecting(config_path, issues)
    settings_result = None
    if config_doc is not None:
        issues.extend(interpolate_environment(config_doc, environ))
        settings_result = _read_config(config_doc, providers, issues)
    config, settings, provider = settings_result or (None, None, None)
    manage = config.manage if config is not None else ManageConfig()

    builder = _DesiredStateBuilder(provider, manage, issues)
    for path in _resource_files(root):
        document = _load_collecting(path, issues)
        if document is not None:
            issues.extend(interpolate_environment(document, environ))
            builder.add(document)
    unresolved = builder.check_references()

    if issues or config is None or settings is None or provider is None:
        raise ManifestError(issues)
    return Project(
        root=root,
        config=config,
        settings=settings,
        provider=provider,
        desired=builder.state,
        unresolved=tuple(unresolved),
    )


def _load_collecting(path: Path, issues: list[Issue]) -> Document | None:
    try:
        return load(path, relative(path))
    except ManifestError as error:
        issues.extend(error.issues)
        return None


def _resource_files(root: Path) -> Iterator[Path]:
    """Every YAML file below the project, except lmsform.yaml and hidden directories (.lmsform, .git)."""
    found: list[Path] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]  # do not descend into them
        base = Path(folder)
        found.extend(
            base / name
            for name in names
            if Path(name).suffix in RESOURCE_SUFFIXES and not name.startswith(".")
        )
    yield from sorted(path for path in found if path != root / CONFIG_FILE)


def _read_config(
    document: Document, providers: Mapping[str, type[Provider]], issues: list[Issue]
) -> tuple[ProjectConfig, ProviderSettings, type[Provider]] | None:
    data = document.root
    if not isinstance(data, CommentedMap):
        issues.append(Issue(document.location(data), f"{CONFIG_FILE} must be a mapping with `provider:`"))
        return None
    for name in data:
        if name in DECLARABLE:
            issues.append(
                Issue(
                    document.location(data, (name,), at_key=True),
                    f"declare {name} in another file, not in {CONFIG_FILE}",
                )
            )
    config_data = {name: value for name, value in data.items() if name not in DECLARABLE}
    config = _validate(ProjectConfig, config_data, document, data, (), issues)
    provider_data = data.get("provider")
    if not isinstance(provider_data, CommentedMap):
        return None
    provider_type = provider_data.get("type")
    provider = providers.get(str(provider_type)) if provider_type is not None else None
    if provider is None:
        known = ", ".join(sorted(providers))
        where = ("provider", "type") if provider_type is not None else ("provider",)
        described = (
            f"unknown provider type {provider_type!r}"
            if provider_type is not None
            else "provider.type is missing"
        )
        issues.append(Issue(document.location(data, where), f"{described}; lmsform supports: {known}"))
        return None
    settings = _validate(provider.settings_model, provider_data, document, data, ("provider",), issues)
    if config is None or settings is None:
        return None
    for kind_name in KINDS_BY_NAME:
        support = provider.supports.get(kind_name)
        if config.manage.mode(kind_name) == "authoritative" and (
            support is None or support.removal is Removal.NONE
        ):
            reason = provider.unsupported_kinds.get(kind_name, "its API cannot remove them")
            issues.append(
                Issue(
                    document.location(data, ("manage", kind_name)),
                    f"manage.{kind_name} cannot be authoritative: {provider.title} {reason}",
                )
            )
    return config, settings, provider


def _validate(
    model: type[_M],
    data: Any,
    document: Document,
    node: Any,
    prefix: tuple[str | int, ...],
    issues: list[Issue],
) -> _M | None:
    try:
        return model.model_validate(plain(data))
    except ValidationError as error:
        for problem in error.errors(include_input=False, include_url=False):
            loc = prefix + tuple(problem["loc"])
            unknown = problem["type"] == "extra_forbidden"
            issues.append(
                Issue(document.location(node, loc, at_key=unknown), _describe(problem, prefix, model))
            )
        return None


def _describe(problem: Mapping[str, Any], prefix: tuple[str | int, ...], model: type[StrictModel]) -> str:
    """A pydantic error in plain words, naming the field but never echoing the value (it may be secret)."""
    named = [str(part) for part in prefix if isinstance(part, str)] + [str(part) for part in problem["loc"]]
    dotted = ".".join(named)
    kind = problem["type"]
    if kind == "missing":
        return f"{dotted}: required field is missing"
    if kind == "extra_forbidden":
        allowed = ", ".join(model.model_fields) if len(problem["loc"]) == 1 else None
        return f"unknown field {dotted!r}" + (f" (expected one of: {allowed})" if allowed else "")
    message = str(problem["msg"]).removeprefix("Value error, ")
    return f"{dotted}: {message}" if dotted else message


class _DesiredStateBuilder:
    """Turns validated declarations into resources, checking duplicates and what the provider supports."""

    def __init__(self, provider: type[Provider] | None, manage: ManageConfig, issues: list[Issue]) -> None:
        self.provider = provider
        self.manage = manage
        self.issues = issues
        self.state = State()

    def add(self, document: Document) -> None:
        data = document.root
        if data is None:
            return
        if not isinstance(data, CommentedMap):
            self.issues.append(
                Issue(document.location(data), "a manifest file must be a mapping of kinds to lists")
            )
            return
        for kind_name, entries in data.items():
            where = document.location(data, (kind_name,), at_key=True)
            kind = DECLARABLE.get(str(kind_name))
            if kind is None:
                self.issues.append(Issue(where, _unknown_kind(str(kind_name))))
                continue
            if self.provider is not None and kind.name not in self.provider.supports:
                reason = self.provider.unsupported_kinds.get(kind.name, "its API does not manage them")
                self.issues.append(Issue(where, f"{self.provider.title} cannot manage {kind.name}: {reason}"))
                continue
            if entries is None:
                continue
            if not isinstance(entries, CommentedSeq):
                self.issues.append(
                    Issue(document.location(data, (kind_name,)), f"{kind.name} must be a list")
                )
                continue
            for index, entry in enumerate(entries):
                self._add_entry(document, kind, entries, index, entry)

    def _add_entry(
        self, document: Document, kind: Kind, entries: CommentedSeq, index: int, entry: Any
    ) -> None:
        assert kind.spec is not None
        node_issues: list[Issue] = []
        spec = _validate(kind.spec, entry, document, entries, (index,), node_issues)
        self.issues.extend(node_issues)
        if spec is None:
            return
        declared = spec.model_fields_set
        if not self._supported(document, kind, entry, declared, spec):
            return
        values = spec.model_dump()
        relations: frozenset[str] = getattr(kind.spec, "RELATIONS", frozenset())
        always: frozenset[str] = getattr(kind.spec, "ALWAYS_MANAGED", frozenset())
        managed = {name: value for name, value in values.items() if name in (declared | always) - relations}
        source = document.location(entries, (index,))
        resource = Resource(kind=kind.name, key=kind.key_of(values), fields=managed, source=source)
        if self._is_duplicate(resource):
            return
        self.state.add(resource)
        for relation in sorted(relations & declared):
            self._add_memberships(document, kind, entry, relation, values)

    def _supported(
        self, document: Document, kind: Kind, entry: Any, declared: set[str], spec: StrictModel
    ) -> bool:
        if self.provider is None:
            return True
        support = self.provider.supports[kind.name]
        allowed = support.fields | support.relations | set(kind.key_fields)
        ok = True
        for name in sorted(declared - allowed):
            reason = support.unsupported_fields.get(name, "its API does not manage this field")
            where = document.location(entry, (name,), at_key=True)
            self.issues.append(
                Issue(where, f"{self.provider.title} cannot manage {kind.name}.{name}: {reason}")
            )
            ok = False
        for name, message in self.provider.check_fields(kind.name, spec.model_dump()):
            self.issues.append(Issue(document.location(entry, (name,)), f"{name}: {message}"))
            ok = False
        return ok

    def _is_duplicate(self, resource: Resource) -> bool:
        existing = self.state.get(resource.kind, resource.key)
        if existing is None:
            return False
        singular = KINDS_BY_NAME[resource.kind].singular
        self.issues.append(
            Issue(
                resource.source,
                f"{singular} {' / '.join(resource.key)!r} is declared twice: here and at {existing.source}",
            )
        )
        return True

    def _add_memberships(
        self, document: Document, kind: Kind, entry: Any, relation: str, values: Mapping[str, Any]
    ) -> None:
        other_side = _RELATIONS[(kind.name, relation)]
        this_side = "user" if other_side == "group" else "group"
        own = values[kind.key_fields[0]]
        items = entry[relation]
        for index, other in enumerate(values[relation]):
            fields = {this_side: own, other_side: other}
            key = MEMBERSHIPS.key_of(fields)
            if self.state.get(MEMBERSHIPS.name, key) is None:
                source = document.location(items, (index,))
                self.state.add(Resource(kind=MEMBERSHIPS.name, key=key, fields=fields, source=source))

    def check_references(self) -> list[Reference]:
        """Membership ends must be declared, or (for additive kinds) may exist only live."""
        unresolved: list[Reference] = []
        for membership in self.state.of(MEMBERSHIPS.name).values():
            for ref_field, target in MEMBERSHIPS.refs.items():
                target_key = MEMBERSHIPS.ref_key(ref_field, membership.key)
                if self.state.get(target, target_key) is not None:
                    continue
                singular = KINDS_BY_NAME[target].singular
                if self.manage.mode(target) == "authoritative":
                    self.issues.append(
                        Issue(
                            membership.source,
                            f"{singular} {target_key[0]!r} is not declared; with manage.{target}: "
                            f"authoritative every {singular} referred to must be declared",
                        )
                    )
                else:
                    unresolved.append(Reference(target, target_key, membership.source, membership.address))
        return unresolved


def _unknown_kind(name: str) -> str:
    if name in ("provider", "manage", "version"):
        return f"{name!r} belongs in {CONFIG_FILE}"
    return f"unknown kind {name!r} (expected one of: {', '.join(DECLARABLE)})"


def unresolved_message(reference: Reference, vendor: str) -> Issue:
    singular = KINDS_BY_NAME[reference.kind].singular
    return Issue(
        reference.source,
        f"{singular} {reference.key[0]!r} is neither declared in the manifests nor present in {vendor}",
    )
