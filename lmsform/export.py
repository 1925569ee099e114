"""Write manifests for a live account: bring an existing LMS under lmsform.

The files are written so that, next to the project's lmsform.yaml, they validate and re-plan with
no changes: only what the provider can read and lmsform can declare, each value as lmsform
compares it. What cannot be exported is said in a comment at the top of the file.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from lmsform.characters import EscapingEmitter
from lmsform.errors import LmsformError, relative
from lmsform.ignoring import without_ignored
from lmsform.kinds import (
    ALL_EVENTS,
    COURSES,
    DECLARABLE,
    DOMAIN,
    DOMAIN_SETTINGS_KEY,
    GROUP_SUPERVISORS,
    GROUPS,
    INSTRUCTORS,
    LESSONS,
    MEMBERSHIPS,
    PATHS,
    PUBLICATIONS,
    SESSIONS,
    USERS,
    Kind,
)
from lmsform.manifest import CONFIG_FILE, Project
from lmsform.project_config import KindName
from lmsform.providers.base import Provider
from lmsform.scaffold import exported_config, modeline, write_missing_schemas
from lmsform.specs import EnrollmentSpec
from lmsform.state import Resource, State
from lmsform.yamlsource import load, plain

# Which file each kind goes to, in writing order.
FILES: Mapping[str, str] = {
    "users": "users.yaml",
    "groups": "groups.yaml",
    "courses": "courses.yaml",
    "paths": "paths.yaml",
    "enrollments": "enrollments.yaml",
    "instructors": "instructors.yaml",
    "sessions": "sessions.yaml",
    "webhooks": "webhooks.yaml",
    "domain": "domain.yaml",
}
_PUBLICATION_SETTINGS_SKIPPED = frozenset({"course"})


class ExportError(LmsformError):
    pass


def _refuse_addresses_manifests_refuse(live: State, title: str) -> None:
    """Manifests take only ASCII e-mail addresses (a look-alike letter makes another address that
    reads the same), and some vendors hold others. Writing them would make files validate refuses;
    leaving them out would have an authoritative plan remove those users. So say which, first."""
    found = sorted(
        str(user.fields["email"])
        for user in live.of(USERS.name).values()
        if isinstance(user.fields.get("email"), str) and not str(user.fields["email"]).isascii()
    )
    if found:
        shown = ", ".join(map(repr, found[:5])) + (f" and {len(found) - 5} more" if len(found) > 5 else "")
        raise ExportError(
            f"{len(found)} {title} user(s) have e-mail addresses that are not ASCII, which manifests refuse: "
            f"{shown}. Give them ASCII addresses in {title} (a domain's xn-- form), or export the other "
            "kinds with --kinds"
        )


def check_exportable(provider: type[Provider], kinds: Sequence[str] | None) -> list[str]:
    """The kinds to export, in writing order; ExportError for one the provider cannot read back."""
    chosen = list(kinds) if kinds else [name for name in FILES if name in provider.supports]
    unknown = [name for name in chosen if name not in DECLARABLE]
    if unknown:
        raise ExportError(
            f"cannot export {', '.join(unknown)}: not a kind (choose from {', '.join(DECLARABLE)})"
        )
    exportable = [name for name in chosen if name in FILES and name in provider.supports]
    skipped = sorted(set(chosen) - set(exportable))
    if skipped:
        raise ExportError(
            f"{provider.title} cannot export {', '.join(skipped)}: its API cannot read them back"
        )
    return exportable


def export_project(project: Project, provider: Provider, kinds: Sequence[str] | None, to: Path) -> list[Path]:
    """Write the live account's manifests to `to`. A folder outside the project gets an lmsform.yaml
    too (the project's provider settings), so that it plans on its own; a folder inside the project is
    part of it, where a second lmsform.yaml would be an error."""
    exportable = check_exportable(type(provider), kinds)
    targets = [to / FILES[name] for name in exportable]
    new_project = not _inside(to, project.root)
    if new_project:
        targets.insert(0, to / CONFIG_FILE)
    existing = [path for path in targets if path.exists() or path.is_symlink()]
    if existing:
        raise ExportError(
            f"export would overwrite {', '.join(map(str, existing))}; choose another folder with --to"
        )
    live = without_ignored(provider.read_all(), project.config.ignored)
    if "users" in exportable:
        _refuse_addresses_manifests_refuse(live, provider.title)
    to.mkdir(parents=True, exist_ok=True)
    if new_project:
        _write_config(project, to / CONFIG_FILE)
    for name in exportable:
        path = to / FILES[name]
        notes = [_NOTES[name]] if name in _NOTES else []
        unread = sorted(provider.supports[name].readback)
        if unread:
            notes.append(
                f"{provider.title} cannot read back {', '.join(unread)}: left out (not managed) "
                "until you declare them."
            )
        entries = _BUILDERS[name](live, type(provider))
        _write(path, name, entries, provider.title, notes, schema_line=modeline(project.provider, path, to))
    return targets + write_missing_schemas(project.provider, to)


def _inside(folder: Path, root: Path) -> bool:
    """Whether `folder` is `root` or under it (as it will be once made)."""
    return folder.resolve().is_relative_to(root.resolve())


def _write_config(project: Project, path: Path) -> None:
    """lmsform.yaml for the exported project: the provider settings as the project's own lmsform.yaml
    writes them (read again: the loaded ones hold the variables' values, which must not be written)."""
    document = load(project.root / CONFIG_FILE, relative(project.root / CONFIG_FILE), project.root)
    written = plain(document.root)["provider"]
    header = [
        modeline(project.provider, path, path.parent),
        f"Exported from {project.provider.title} by `lmsform export`, with the provider settings of "
        f"{relative(project.root / CONFIG_FILE)}.",
    ]
    with path.open("x", encoding="utf-8") as handle:
        handle.write(exported_config(written, project.provider, header))


def _declared(kind: Kind, resource: Resource, provider: type[Provider]) -> dict[str, Any]:
    """A live object's values as a manifest entry declares them: the vendor's key fields, then the
    fields it manages, in the model's order; empty values and default `active: true` left out."""
    support = provider.supports[kind.name]
    assert kind.spec is not None
    wanted = set(support.key or kind.key_fields) | (support.fields - kind.spec.SECRETS)
    entry: dict[str, Any] = {}
    for name in kind.spec.model_fields:
        value = resource.fields.get(name)
        if name in wanted and value not in (None, "", []) and not (name == "active" and value is True):
            entry[name] = list(value) if isinstance(value, (list, tuple)) else value
    return entry


def _users(live: State, provider: type[Provider]) -> list[dict[str, Any]]:
    return [_declared(USERS, user, provider) for user in _sorted(live.of("users").values())]


def _related(live: State, kind_name: str) -> dict[str, list[str]]:
    """Users related to each group (members, supervisors), as the user's key field spells them."""
    related: dict[str, list[str]] = defaultdict(list)
    for (group_name, user), relation in sorted(live.of(kind_name).items()):
        if live.get("users", (user,)) is not None:  # members from other domains are not users here
            related[group_name].append(relation.fields["user"])
    return related


def _groups(live: State, provider: type[Provider]) -> list[dict[str, Any]]:
    members = _related(live, MEMBERSHIPS.name)
    supervisors = _related(live, GROUP_SUPERVISORS.name)
    entries = []
    for group in _sorted(live.of("groups").values()):
        if len(group.key) > 1:
            continue  # a second group of the same name: a name can be declared once
        entry = _declared(GROUPS, group, provider)
        if members.get(group.key[0]):
            entry["members"] = members[group.key[0]]
        if supervisors.get(group.key[0]):
            entry["supervisors"] = supervisors[group.key[0]]
        entries.append(entry)
    return entries


def _courses(live: State, provider: type[Provider]) -> list[dict[str, Any]]:
    support = provider.supports[COURSES.name]
    entries = []
    for course in _sorted(live.of("courses").values()):
        if len(course.key) > 1:
            continue  # a second course of the same title: a title can be declared once
        entry = _declared(COURSES, course, provider)
        if live.ambiguous.get(("courses", course.key)):
            entry["id"] = course.ids["id"]
        if "sequential_navigation" in support.fields:
            entry["sequential_navigation"] = bool(course.fields.get("sequential_navigation"))
        publication = live.get(PUBLICATIONS.name, course.key)
        if publication is not None:
            settings = {
                name: value
                for name, value in publication.fields.items()
                # An empty rule list is left out: undeclared, it is not read, and the re-plan stays empty.
                if name not in _PUBLICATION_SETTINGS_SKIPPED and value not in (None, [])
            }
            entry["published"] = settings or True
        entries.append(entry)
    return entries


def _paths(live: State, provider: type[Provider]) -> list[dict[str, Any]]:
    """Each learning path with its courses in their order and its labels."""
    return [_declared(PATHS, path, provider) for path in _sorted(live.of(PATHS.name).values())]


def _enrollments(live: State, provider: type[Provider]) -> list[dict[str, Any]]:
    """One entry per target and set of settings, listing its learners."""
    settings = sorted(provider.supports["enrollments"].fields)
    grouped: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for enrollment in _sorted(live.of("enrollments").values()):
        fields = enrollment.fields
        if live.get("users", (enrollment.key[2],)) is None:
            continue
        chosen = {name: fields[name] for name in settings if _sayable(name, fields.get(name))}
        if chosen.get("active") is True:
            del chosen["active"]
        grouped[(fields["type"], fields["target"], json.dumps(chosen, sort_keys=True))].append(fields["user"])
    words = {kind: word for word, kind in provider.enrollment_targets.items()}
    return [
        {words.get(target_type, target_type): target, "users": users, **json.loads(chosen)}
        for (target_type, target, chosen), users in sorted(grouped.items())
    ]


def _sayable(name: str, value: Any) -> bool:
    """Can an enrollment entry declare this value? What a vendor only half reads (Versal's
    "author, contributor or publisher") cannot be: it is left out, so it is not managed."""
    if value is None:
        return False
    try:
        TypeAdapter(EnrollmentSpec.model_fields[name].annotation or Any).validate_python(value)
    except ValidationError:
        return False
    return True


def _webhooks(live: State, provider: type[Provider]) -> list[dict[str, Any]]:
    # A hook for all events is an entry of its own: `events` omitted.
    grouped: dict[tuple[str, bool, str, bool], list[str]] = defaultdict(list)
    for hook in _sorted(live.of("webhooks").values()):
        fields = hook.fields
        every = fields["event"] == ALL_EVENTS
        grouped[
            (fields["url"], bool(fields["active"]), fields.get("basic_auth_username") or "", every)
        ].append(fields["event"])
    entries = []
    for (url, active, username, every), events in sorted(grouped.items()):
        entry: dict[str, Any] = {"url": url}
        if not every:
            entry["events"] = sorted(events)
        if not active:
            entry["active"] = False
        if username:
            entry["basic_auth_username"] = username
        entries.append(entry)
    return entries


def _instructors(live: State, provider: type[Provider]) -> list[dict[str, Any]]:
    return [_declared(INSTRUCTORS, item, provider) for item in _sorted(live.of(INSTRUCTORS.name).values())]


def _sessions(live: State, provider: type[Provider]) -> list[dict[str, Any]]:
    entries = []
    for session in _sorted(live.of(SESSIONS.name).values()):
        entry = _declared(SESSIONS, session, provider)
        lesson = live.get(LESSONS.name, (session.key[0],))
        if lesson is not None and "course" in lesson.fields:  # named with its course (Skilljar)
            entry["lesson"] = {"course": lesson.fields["course"], "lesson": lesson.fields["lesson"]}
        if session.fields.get("attendees"):
            entry["attendees"] = list(session.fields["attendees"])
        entries.append(entry)
    return entries


def _domain(live: State, provider: type[Provider]) -> dict[str, Any]:
    """The domain's settings: one mapping, not a list (a kind of one object)."""
    settings = live.get(DOMAIN.name, DOMAIN_SETTINGS_KEY)
    return {} if settings is None else _declared(DOMAIN, settings, provider)


_BUILDERS: Mapping[str, Callable[[State, type[Provider]], list[dict[str, Any]] | dict[str, Any]]] = {
    "users": _users,
    "groups": _groups,
    "courses": _courses,
    "paths": _paths,
    "enrollments": _enrollments,
    "instructors": _instructors,
    "sessions": _sessions,
    "webhooks": _webhooks,
    "domain": _domain,
}
_NOTES: Mapping[str, str] = {
    "webhooks": "Passwords cannot be exported: add `basic_auth_password: ${VARIABLE}` where one is needed.",
    "enrollments": "Enrollments are listed per learner; group-based entries can replace them by hand.",
}


def _sorted(resources: Iterable[Resource]) -> list[Resource]:
    return sorted(resources, key=lambda resource: resource.key)


def _write(
    path: Path,
    kind_name: KindName | str,
    entries: list[dict[str, Any]] | dict[str, Any],
    title: str,
    notes: list[str],
    *,
    schema_line: str | None = None,
) -> None:
    document = CommentedMap({kind_name: entries})
    header = [*filter(None, [schema_line]), f"Exported from {title} by `lmsform export`.", *notes]
    document.yaml_set_start_comment("\n".join(header))
    yaml = YAML(typ="rt")
    yaml.Emitter = EscapingEmitter  # a name the vendor holds in NFD, or with a zero-width space, as escapes
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(document, handle)
