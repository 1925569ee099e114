"""Load a project directory (lmsform.yaml plus resource files) into settings and a desired State.

Every problem is collected with its file:line:column and reported together, so one run shows all
that is wrong. Nothing here talks to a vendor: references to objects that may exist only live are
returned as `unresolved` and checked by the planner against the live state.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from pydantic import SecretStr
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from lmsform.declarations import DesiredStateBuilder
from lmsform.errors import Issue, Location, ManifestError, relative
from lmsform.hierarchy import parent_cycles
from lmsform.includes import included_paths
from lmsform.kinds import DECLARABLE, KINDS_BY_NAME
from lmsform.policy import strictest, trusted_policy
from lmsform.prerequisites import declared_conflicts
from lmsform.project_config import ManageConfig, ProjectConfig
from lmsform.providers.base import SANDBOX, Provider, ProviderSettings, Removal
from lmsform.providers.origins import allowed_origins
from lmsform.references import Reference
from lmsform.sourcefile import find_manifests
from lmsform.state import State
from lmsform.variables import VariableAccess, VariableReference, listed_variables
from lmsform.yamllimits import ProjectValues
from lmsform.yamlmessages import did_you_mean, shortened
from lmsform.yamlsource import (
    Document,
    checked_texts,
    environment_names,
    interpolate_environment,
    parsed,
    plain,
    validate_node,
)

CONFIG_FILE = "lmsform.yaml"
_BASE_URL = ("provider", "base_url")
_WHOLE_ENV_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_ANY_ENV_REFERENCE = re.compile(r"\$\{")


@dataclass(frozen=True)
class Project:
    root: Path
    config: ProjectConfig
    settings: ProviderSettings
    provider: type[Provider]
    desired: State
    unresolved: tuple[Reference, ...] = ()
    # A digest of every manifest file, so a saved plan can tell the manifests changed since; and one of
    # each file's bytes, by its path relative to the project folder, so it can say which did.
    digest: str = ""
    file_digests: Mapping[str, str] = field(default_factory=dict)
    # Loaded without the values of variables that are not set (`load_project(offline=True)`): its
    # settings may hold stand-ins, so it must never connect to the vendor.
    offline: bool = False
    # The origins the environment allowed the credentials to go to (LMSFORM_ALLOWED_ORIGINS) when the
    # project was loaded; `connect` checks the API root against them again.
    allowed_origins: frozenset[str] = frozenset()
    # What LMSFORM_POLICY (the environment) protects, per kind: `config.protect` holds it too, merged
    # with lmsform.yaml's; kept apart so that only the policy can let its protection follow a rename.
    trusted_protect: Mapping[str, list[str]] = field(default_factory=dict)


def load_project(
    directory: Path,
    *,
    providers: Mapping[str, type[Provider]],
    environ: Mapping[str, str] | None = None,
    offline: bool = False,
) -> Project:
    """The project in `directory`; ManifestError with every problem found.

    `offline` (validate) needs no variable to be set: every `${NAME}` is checked as when a command
    connects, except for its value, which only the commands that connect need.
    """
    root = Path(directory)
    config_path = root / CONFIG_FILE
    if not (config_path.exists() or config_path.is_symlink()):
        where = relative(root)
        raise ManifestError(
            [Issue(None, f"{where}: no {CONFIG_FILE} here; a project directory holds {CONFIG_FILE}")]
        )
    # Every file is checked against the project's bounds before its tree is built. lmsform.yaml's
    # tree comes first: its `include:` says where else to search.
    values = ProjectValues()
    texts = checked_texts([config_path], root, values)
    issues: list[Issue] = []
    variables = _Variables(os.environ if environ is None else environ, offline)
    config_doc = _load_collecting(config_path, texts, issues)
    settings_result = None
    credentials: dict[str, str] = {}
    declared: dict[str, str | None] = {}
    allowed: frozenset[str] = frozenset()
    included: list[Path] = []
    if config_doc is not None:
        credentials, unrestricted = _credential_references(config_doc, providers)
        declared = _declared_variables(config_doc, issues)
        access = VariableAccess(variables.listed, credentials, unrestricted, declared)
        variables.interpolate(config_doc, access)
        included, include_issues = included_paths(config_doc, root, CONFIG_FILE)
        issues.extend(include_issues)
        settings_result = _read_config(config_doc, providers, issues, variables.unset)
        if settings_result is not None and not offline:
            allowed = variables.allowed_origins()
            issues.extend(_destination_issues(settings_result[1], config_doc, allowed))
    config, settings, provider = settings_result or (None, None, None)
    trusted_protect: dict[str, list[str]] = {}
    if config is not None:
        try:
            policy = trusted_policy(os.environ if environ is None else environ)
            config = strictest(config, policy)
            trusted_protect = {
                str(name): list(patterns) for name, patterns in (policy.protect if policy else {}).items()
            }
        except ManifestError as error:
            issues.extend(error.issues)
    manage = config.manage if config is not None else ManageConfig()

    found, link_issues = find_manifests(root, CONFIG_FILE, included)
    files = [config_path, *found]
    texts = checked_texts(found, root, values)
    builder = DesiredStateBuilder(provider, manage, issues)
    issues.extend(link_issues)
    every_file_read = True
    for path in found:
        document = _load_collecting(path, texts, issues)
        every_file_read = every_file_read and document is not None
        if document is not None:
            issues.extend(_secrets_not_from_environment(document))
            variables.interpolate(document, VariableAccess(variables.listed, credentials, declared=declared))
            _stand_in_for_unset_secrets(document, variables.unset)
            builder.add(document)
    unresolved = builder.check_references(every_file_read=every_file_read)
    if provider is not None:
        issues.extend(declared_conflicts(builder.state, provider))
    issues.extend(parent_cycles(builder.state))

    issues = variables.judged(issues)
    if issues or config is None or settings is None or provider is None:
        raise ManifestError(issues)
    digest, file_digests = manifest_digests(root, files)
    return Project(
        root=root,
        config=config,
        settings=settings,
        provider=provider,
        desired=builder.state,
        unresolved=tuple(unresolved),
        digest=digest,
        file_digests=file_digests,
        offline=offline,
        allowed_origins=allowed,
        trusted_protect=trusted_protect,
    )


class _Variables:
    """Environment variables as one load sees them; offline, those not set are no issue."""

    def __init__(self, environ: Mapping[str, str], offline: bool) -> None:
        self.environ = environ
        self.offline = offline
        # Offline: where values name variables that are not set, or that they may not read.
        self.unset: set[Location] = set()
        # Problems with the references themselves: they stand whatever the values.
        self.issues: list[Issue] = []
        self.listed: frozenset[str] = frozenset()
        try:
            self.listed = listed_variables(environ)
        except ValueError as error:
            self.issues.append(Issue(None, str(error)))

    def interpolate(self, document: Document, access: VariableAccess) -> None:
        unset = self.unset if self.offline else None
        self.issues.extend(interpolate_environment(document, self.environ, access, unset=unset))

    def allowed_origins(self) -> frozenset[str]:
        """Where the environment lets credentials go besides the vendor and loopback."""
        try:
            return allowed_origins(self.environ)
        except ValueError as error:
            self.issues.append(Issue(None, str(error)))
            return frozenset()

    def judged(self, issues: list[Issue]) -> list[Issue]:
        """`issues` and the references' own, without those about values that name variables that
        are not set: those values are not known, so not judged."""
        return [issue for issue in issues if issue.location not in self.unset] + self.issues


def _stand_in() -> str:
    """A value for a secret whose variable is not set, offline. Every vendor's check of its key takes
    a UUID (Versal's keys are UUIDs), and a random one masks nothing in output once it is registered
    as a secret, as secrets are; the text `${NAME}` would be, in every later message."""
    return str(uuid.uuid4())


def manifest_digests(root: Path, files: list[Path]) -> tuple[str, dict[str, str]]:
    """sha256 over the project's manifest files: their paths (relative to the project folder, which
    an included file may be outside of) and their bytes; and the sha256 of each file's bytes, by that
    path. The first decides whether a saved plan is stale; the others only say which files changed.
    Each file is read once, so both describe the same bytes."""
    whole = hashlib.sha256()
    each: dict[str, str] = {}
    for path in sorted(files):
        name = Path(os.path.relpath(path, root)).as_posix()
        data = path.read_bytes()
        whole.update(name.encode("utf-8") + b"\0")
        whole.update(data + b"\0")
        each[name] = "sha256:" + hashlib.sha256(data).hexdigest()
    return "sha256:" + whole.hexdigest(), each


def _load_collecting(
    path: Path, texts: dict[Path, str | ManifestError], issues: list[Issue]
) -> Document | None:
    """The document of `path` from its checked text in `texts` (which lets go of it), or None with
    the issues."""
    checked = texts.pop(path)
    if isinstance(checked, ManifestError):
        issues.extend(checked.issues)
        return None
    try:
        return parsed(checked, path, relative(path))
    except ManifestError as error:
        issues.extend(error.issues)
        return None


def resource_files(root: Path) -> list[Path]:
    """Every manifest file of the project but lmsform.yaml (see `find_manifests`); ManifestError
    when a link in the project cannot be followed or leads to a file or folder found already."""
    files, issues = find_manifests(root, CONFIG_FILE)
    if issues:
        raise ManifestError(issues)
    return files


def _read_config(
    document: Document,
    providers: Mapping[str, type[Provider]],
    issues: list[Issue],
    unset: set[Location],
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
    config = validate_node(ProjectConfig, config_data, document, data, (), issues)
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
    settings = _settings(provider.settings_model, provider_data, document, data, issues, unset)
    if config is None or settings is None:
        return None
    for kind_name in KINDS_BY_NAME:
        support = provider.supports.get(kind_name)
        cannot_list = support is None or (support.removal is Removal.NONE and not support.readable)
        refused = cannot_list or bool(support and support.never_authoritative)
        if config.manage.mode(kind_name) == "authoritative" and refused:
            reason = (support and support.never_authoritative) or provider.unsupported_kinds.get(
                kind_name, "its API cannot remove them"
            )
            issues.append(
                Issue(
                    document.location(data, ("manage", kind_name)),
                    f"manage.{kind_name} cannot be authoritative: {provider.title} {reason}",
                )
            )
    return config, settings, provider


def _declared_variables(document: Document, issues: list[Issue]) -> dict[str, str | None]:
    """lmsform.yaml's `variables:` block as written (the model checks its names and types). A value is
    taken as it is: one that reads a variable itself is an issue, and is read by nothing."""
    data = document.root
    block = data.get("variables") if isinstance(data, CommentedMap) else None
    if not isinstance(block, CommentedMap):
        return {}
    declared: dict[str, str | None] = {}
    for name, value in block.items():
        if isinstance(value, str) and "${" in value:
            issues.append(
                Issue(
                    document.location(block, (name,)),
                    f"variables.{name} reads a variable: a value of `variables:` is written as it is; the "
                    f"environment gives another with LMSFORM_VAR_{name}",
                )
            )
            block[name] = ""
        elif isinstance(value, str) or value is None:
            declared[str(name)] = value
    return declared


def _credential_references(
    document: Document, providers: Mapping[str, type[Provider]]
) -> tuple[dict[str, str], frozenset[Location]]:
    """The variables that lmsform.yaml's credential settings name (each with its setting), and where
    those values are. The settings are the provider's. When its type is unknown, the settings that hold
    credentials at any provider: the project fails to load, and this spares an error for each of them."""
    data = document.root.get("provider") if isinstance(document.root, CommentedMap) else None
    if not isinstance(data, CommentedMap):
        return {}, frozenset()
    provider = providers.get(str(data.get("type")))
    models = (
        [provider.settings_model] if provider is not None else [p.settings_model for p in providers.values()]
    )
    held = frozenset().union(*(model.credential_settings() for model in models))
    variables: dict[str, str] = {}
    places: set[Location] = set()
    for name, value in data.items():
        if str(name) in held and isinstance(value, str):
            variables.update(
                (reference.name, f"provider.{name}")
                for reference in map(VariableReference.parse, environment_names(value))
                if reference is not None
            )
            places.add(document.location(data, (name,)))
    return variables, frozenset(places)


def _destination_issues(
    settings: ProviderSettings, document: Document, allowed: frozenset[str]
) -> list[Issue]:
    """Where the settings would send the credentials, if the environment does not allow it."""
    refusal = settings.credential_refusal(allowed)
    if refusal is None:
        return []
    return [Issue(document.location(document.root, ("provider", "base_url")), refusal)]


def _settings(
    model: type[ProviderSettings],
    data: CommentedMap,
    document: Document,
    config: CommentedMap,
    issues: list[Issue],
    unset: set[Location],
) -> ProviderSettings | None:
    """The provider's settings. Offline, a setting whose variable is not set is not judged: a secret
    is given a stand-in, and when others fail only for being written `${NAME}`, the settings are
    taken as written (validate shows only `target()`, and an offline project never connects)."""
    for name in data:
        if document.location(data, (name,)) in unset and _holds_secret(model, str(name)):
            data[name] = _stand_in()
    found: list[Issue] = []
    settings = validate_node(model, data, document, config, ("provider",), found)
    issues.extend(_base_url_explained(found, data.get("base_url"), document.location(config, _BASE_URL)))
    if settings is None and found and all(issue.location in unset for issue in found):
        values: dict[str, Any] = {
            str(name): SecretStr(value) if _holds_secret(model, str(name)) else value
            for name, value in plain(data).items()
        }
        return model.model_construct(None, **values)
    return settings


def _base_url_explained(found: list[Issue], base_url: Any, where: Location) -> list[Issue]:
    """`found`, where a base_url that is no URL (`sandbx`) is said to be neither `sandbox` nor a URL."""
    if not isinstance(base_url, str) or "://" in base_url:
        return found
    hint = did_you_mean(base_url, [SANDBOX])
    explained = Issue(
        where,
        f"provider.base_url: {shortened(base_url)!r} is neither `sandbox` (the built-in emulator) nor an "
        f"https:// URL of the vendor's API{hint}",
    )
    return [explained if issue.location == where else issue for issue in found]


def _holds_secret(model: type[ProviderSettings], name: str) -> bool:
    field = model.model_fields.get(name)
    annotation = field.annotation if field is not None else None
    return annotation is SecretStr or SecretStr in get_args(annotation)


def _secret_values(document: Document) -> Iterator[tuple[CommentedMap, str]]:
    """The write-only secrets the entries of a manifest file declare (passwords; each value of a map of
    secrets, such as webhook headers): (the mapping holding it, its name)."""
    data = document.root
    if not isinstance(data, CommentedMap):
        return
    for kind_name, entries in data.items():
        kind = DECLARABLE.get(str(kind_name))
        if (
            kind is None
            or kind.spec is None
            or not (kind.spec.SECRETS or kind.spec.SECRET_MAPS)
            or not isinstance(entries, CommentedSeq)
        ):
            continue
        for entry in entries:
            if isinstance(entry, CommentedMap):
                yield from ((entry, name) for name in sorted(kind.spec.SECRETS & set(entry)))
                for field in sorted(kind.spec.SECRET_MAPS & set(entry)):
                    if isinstance(entry[field], CommentedMap):
                        yield from ((entry[field], name) for name in entry[field])


def _secrets_not_from_environment(document: Document) -> list[Issue]:
    """Write-only secrets (webhook passwords) may only be written as ${VARIABLE}, never inline, and
    neither with a default nor from `variables:` (either would be the secret, written in the repository)."""
    return [
        Issue(
            document.location(entry, (name,)),
            f"{name} must come from the environment: write ${{VARIABLE_NAME}}, "
            + (
                "without a default or a value of `variables:`, which would be a secret written in the "
                "repository"
                if isinstance(entry[name], str) and _ANY_ENV_REFERENCE.search(entry[name])
                else "not the value"
            ),
        )
        for entry, name in _secret_values(document)
        if entry[name] is not None
        and not (isinstance(entry[name], str) and _WHOLE_ENV_REFERENCE.fullmatch(entry[name]))
    ]


def _stand_in_for_unset_secrets(document: Document, unset: set[Location]) -> None:
    """Offline: a write-only secret whose variable is not set gets a stand-in (`_stand_in`)."""
    for entry, name in _secret_values(document):
        if document.location(entry, (name,)) in unset:
            entry[name] = _stand_in()
