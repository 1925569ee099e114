"""Turn validated manifest entries into the desired State, one small function per kind.

Relationships become resources of their own (a user's `groups` become memberships, a course's
`published` a publication); duplicates and references are checked here, with the place of each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from lmsform import catalogue_rules
from lmsform.errors import Issue, Location
from lmsform.kinds import (
    ALL_EVENTS,
    COURSES,
    DECLARABLE,
    ENROLLMENT_TARGET_KINDS,
    ENROLLMENTS,
    GROUP_SUPERVISORS,
    KINDS_BY_NAME,
    MEMBERSHIPS,
    PATHS,
    PUBLICATIONS,
    SESSIONS,
    SUPERVISORS,
    USERS,
    WEBHOOKS,
    Key,
    Kind,
    address,
)
from lmsform.project_config import ManageConfig
from lmsform.providers.base import KindSupport, Provider
from lmsform.references import Reference
from lmsform.secrets import register as register_secret
from lmsform.specs import (
    SECRET_SHOWN,
    CourseSpec,
    DeclarationModel,
    EnrollmentSpec,
    GroupSpec,
    PublicationSpec,
    SessionSpec,
    SupervisorSpec,
    UserSpec,
    WebhookSpec,
    declared_values,
    lesson_name,
    secret_of_map,
)
from lmsform.state import GroupExpansion, Resource, State
from lmsform.yamlmessages import did_you_mean, shortened, what_it_is
from lmsform.yamlsource import Document, validate_node

_NO_SETTINGS = PublicationSpec.model_validate({})


@dataclass(frozen=True)
class _Entry:
    """One validated manifest entry and where it is."""

    kind: Kind
    spec: DeclarationModel
    document: Document
    node: Any
    support: KindSupport | None
    # The fields the vendor lets this entry declare (`allowed_fields`); None without a provider.
    allowed: frozenset[str] | None = None

    @property
    def source(self) -> Location:
        return self.document.location(self.node)

    def at(self, *loc: str | int) -> Location:
        return self.document.location(self.node, loc)

    def each_at(self, name: str, count: int) -> list[Location]:
        """`at(name, index)` for the first `count` items of the list `name`, found in one step."""
        if count == 0:
            return []
        items = self.node.get(name) if isinstance(self.node, CommentedMap) else None
        if not isinstance(items, CommentedSeq) or len(items) < count:
            return [self.at(name, index) for index in range(count)]
        shown = self.document.shown_as
        return [Location(shown, row + 1, column + 1) for row, column in map(items.lc.item, range(count))]

    def where_named(self, name: str) -> Location:
        """Where this entry names another object by `name` (a field's value or an item of a list
        field, not its own key or former keys); the entry itself when no field does."""
        node = self.node if isinstance(self.node, CommentedMap) else {}
        own = {*self.kind.key_fields, *type(self.spec).IDENTITY}
        for field, value in node.items():
            if field in own:
                continue
            if value == name:
                return self.at(field)
            if isinstance(value, CommentedSeq) and name in value:
                return self.at(field, value.index(name))
        return self.source

    @cached_property
    def values(self) -> dict[str, Any]:
        """`declared_values` of the spec, made once."""
        return declared_values(self.spec)

    def managed_fields(self) -> dict[str, Any]:
        """Declared values (and the defaults of the kind's always-managed fields this vendor has)
        that are compared with the live object."""
        spec = type(self.spec)
        always = spec.ALWAYS_MANAGED
        if self.allowed is not None:
            always = always & self.allowed
        chosen = (self.spec.model_fields_set | always) - spec.RELATIONS - spec.IDENTITY - spec.SECRETS
        fields = {name: value for name, value in self.values.items() if name in chosen}
        for name in spec.SECRET_MAPS & set(fields):
            fields[name] = dict.fromkeys(fields[name] or {}, SECRET_SHOWN)
        if self.support is not None:
            for name, value in self.support.implied(fields).items():
                fields.setdefault(name, value)
        return fields

    def secrets(self) -> dict[str, str]:
        """The declared write-only values, each registered to be masked in all output: the `SECRETS`
        fields by name, the values of the `SECRET_MAPS` fields by `secret_of_map`."""
        spec = type(self.spec)
        found = {name: self.values[name] for name in spec.SECRETS if self.values.get(name)}
        for field in spec.SECRET_MAPS:
            found.update(
                (secret_of_map(field, name), value) for name, value in (self.values.get(field) or {}).items()
            )
        for value in found.values():
            register_secret(value)
        return found


class DesiredStateBuilder:
    """Collects entries from every manifest file into one desired State."""

    def __init__(self, provider: type[Provider] | None, manage: ManageConfig, issues: list[Issue]) -> None:
        self.provider = provider
        self.manage = manage
        self.issues = issues
        self.state = State()
        # (kind, key, source, by): `by` is the referring object, whose address is made only for a
        # reference that cannot be resolved (most name declared objects).
        self._references: list[tuple[str, Key, Location | None, str | Resource]] = []
        # (kind, vendor id) → the declaration that pins it.
        self._pinned: dict[tuple[str, str], Resource] = {}
        # (kind, former key) → the declaration that lists it under `previously:`.
        self._former: dict[tuple[str, Key], Resource] = {}
        # Per kind: the provider's support and the fields it allows, looked up once.
        self._support: dict[str, tuple[KindSupport | None, frozenset[str] | None]] = {}
        # (lesson, user, where, session): the sessions' attendees, each enrolled in the session's lesson.
        self._attendees: list[tuple[str, str, Location, str]] = []
        # (course, prerequisite course) → where `published: prerequisites:` names it.
        self._prerequisites_at: dict[tuple[str, str], Location] = {}
        # The one place a declarable kind's entries become resources (ARCHITECTURE.md, add a kind).
        self.builders: Mapping[str, Callable[[_Entry], None]] = {
            "users": self._user,
            "groups": self._group,
            "courses": self._course,
            "enrollments": self._enrollment,
            "paths": self._path,
            "supervisors": self._supervisor,
            "instructors": self._instructor,
            "sessions": self._session,
            "webhooks": self._webhook,
            "domain": self._domain,
        }

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
            kind = DECLARABLE.get(kind_name) if isinstance(kind_name, str) else None
            if kind is None:
                self.issues.append(Issue(where, self._not_a_kind(kind_name)))
                continue
            if self.provider is not None and kind.name not in self.provider.supports:
                reason = self.provider.unsupported_kinds.get(kind.name, "its API does not manage them")
                self.issues.append(Issue(where, f"{self.provider.title} cannot manage {kind.name}: {reason}"))
                continue
            if entries is None:
                continue
            if kind.singleton:  # one object, declared as a mapping (`domain: {catalog_title: ...}`)
                self._add_entry(document, kind, data, (kind_name,), entries)
                continue
            if not isinstance(entries, CommentedSeq):
                self.issues.append(
                    Issue(document.location(data, (kind_name,)), f"{kind.name} must be a list")
                )
                continue
            for index, node in enumerate(entries):
                self._add_entry(document, kind, entries, (index,), node)

    def _not_a_kind(self, name: Any) -> str:
        """What to say of a top-level key that is no kind lmsform declares: the vendor's reason where it
        has one for that name (a kind its API has that lmsform does not manage), else unknown."""
        reason = (
            self.provider.unsupported_kinds.get(name) if self.provider and isinstance(name, str) else None
        )
        if self.provider is None or reason is None:
            return unknown_kind(name)
        return f"{self.provider.title} cannot manage {name}: {reason}"

    def _add_entry(
        self, document: Document, kind: Kind, parent: Any, at: tuple[str | int, ...], node: Any
    ) -> None:
        """The entry `node`, found in `parent` at `at` (a list's index, or a singleton kind's name)."""
        assert kind.spec is not None
        support, allowed = self._support_of(kind)
        refused = (
            {
                name: f"{self.provider.title} cannot manage {kind.name}.{name}: {reason}"
                for name, reason in support.unsupported_fields.items()
            }
            if support is not None and self.provider is not None
            else None
        )
        spec = validate_node(kind.spec, node, document, parent, at, self.issues, allowed, refused)
        if spec is None:
            return
        entry = _Entry(kind, spec, document, node, support, allowed)
        if self._supported(entry):
            self.builders[kind.name](entry)

    def _support_of(self, kind: Kind) -> tuple[KindSupport | None, frozenset[str] | None]:
        found = self._support.get(kind.name)
        if found is None:
            support = self.provider.supports[kind.name] if self.provider is not None else None
            allowed = frozenset(allowed_fields(kind, support)) if support is not None else None
            found = self._support[kind.name] = (support, allowed)
        return found

    def _supported(self, entry: _Entry) -> bool:
        if self.provider is None:
            # The project's provider is unknown (already an error): check what every vendor needs.
            key_fields = entry.kind.key_fields_of(entry.values)
            missing = [name for name in key_fields if getattr(entry.spec, name, "") is None]
            for name in missing:
                self.issues.append(Issue(entry.source, f"{name}: required field is missing"))
            return not missing
        support = self.provider.supports[entry.kind.name]
        key = support.key or entry.kind.key_fields
        allowed = entry.allowed or frozenset()
        ok = True
        for name in (*key, *sorted(support.required)):
            if name in type(entry.spec).model_fields and getattr(entry.spec, name) is None:
                where = entry.source
                why = (
                    f"identifies {entry.kind.name} by {name}"
                    if name in key
                    else f"needs the {name} of every {entry.kind.singular}"
                )
                self.issues.append(Issue(where, f"{self.provider.title} {why}: declare it"))
                ok = False
        for name in sorted(entry.spec.model_fields_set - allowed):
            reason = support.unsupported_fields.get(name, "its API does not manage this field")
            where = entry.document.location(entry.node, (name,), at_key=True)
            self.issues.append(
                Issue(where, f"{self.provider.title} cannot manage {entry.kind.name}.{name}: {reason}")
            )
            ok = False
        declared_roles = entry.node.get("roles") if "roles" in entry.spec.model_fields_set else None
        for index, role in enumerate(declared_roles or []):
            if role not in self.provider.roles:
                offered = ", ".join(sorted(self.provider.roles))
                hint = did_you_mean(role, self.provider.roles) if isinstance(role, str) else ""
                self.issues.append(
                    Issue(
                        entry.at("roles", index),
                        f"{self.provider.title} has no role {role!r} ({offered}){hint}",
                    )
                )
                ok = False
        for name, message in self.provider.check_fields(entry.kind.name, entry.values):
            self.issues.append(Issue(entry.at(name), f"{name}: {message}"))
            ok = False
        return ok

    # --- one builder per kind -------------------------------------------------------------------

    def _user(self, entry: _Entry) -> None:
        spec = entry.spec
        assert isinstance(spec, UserSpec)
        fields = entry.managed_fields()
        user = fields[entry.kind.key_fields_of(fields)[0]]
        secrets = {"password": spec.password} if spec.password else {}
        for value in secrets.values():
            register_secret(value)
        match_on: dict[str, str] = {}
        if spec.adopt_by and fields.get(spec.adopt_by):
            match_on[str(spec.adopt_by)] = str(fields[spec.adopt_by])
        resource = Resource(
            "users",
            entry.kind.key_of(fields),
            fields,
            ids={"id": spec.api_id} if spec.api_id else {},
            source=entry.source,
            previously=tuple((address.lower(),) for address in spec.previously),
            secrets=secrets,
            match_on=match_on,
        )
        self._declare(resource)
        self._renamed_from(resource)
        for group, where in zip(spec.groups, entry.each_at("groups", len(spec.groups)), strict=True):
            self._relation(MEMBERSHIPS, group, user, where)
        for group, where in zip(
            spec.supervises, entry.each_at("supervises", len(spec.supervises)), strict=True
        ):
            self._relation(GROUP_SUPERVISORS, group, user, where)

    def _group(self, entry: _Entry) -> None:
        assert isinstance(entry.spec, GroupSpec)
        fields = entry.managed_fields()
        key = entry.kind.key_of(fields)
        previously = tuple((name,) for name in entry.spec.previously)
        pinned = {"id": entry.spec.id} if entry.spec.id else {}
        group = Resource("groups", key, fields, ids=pinned, source=entry.source, previously=previously)
        self._declare(group, entry=entry)
        self._renamed_from(group)
        self.state.scopes.setdefault(MEMBERSHIPS.name, set()).add(key)
        self.state.scopes.setdefault(GROUP_SUPERVISORS.name, set()).add(key)
        members, supervisors = entry.spec.members, entry.spec.supervisors
        for member, where in zip(members, entry.each_at("members", len(members)), strict=True):
            self._relation(MEMBERSHIPS, fields["name"], member, where)
        for supervisor, where in zip(
            supervisors, entry.each_at("supervisors", len(supervisors)), strict=True
        ):
            self._relation(GROUP_SUPERVISORS, fields["name"], supervisor, where)

    def _relation(self, kind: Kind, group: str, user: str, source: Location) -> None:
        """A (group, user) relation, declared on either side; both sides declaring it make one."""
        fields = {"group": group, "user": user}
        key = kind.key_of(fields)
        if self.state.get(kind.name, key) is None:
            self._declare(Resource(kind.name, key, fields, source=source))

    def _course(self, entry: _Entry) -> None:
        spec = entry.spec
        assert isinstance(spec, CourseSpec)
        fields = entry.managed_fields()
        key = COURSES.key_of(fields)
        course = Resource(
            COURSES.name,
            key,
            fields,
            ids={"id": spec.id} if spec.id else {"id": spec.api_id} if spec.api_id else {},
            source=entry.source,
            previously=tuple((title,) for title in spec.previously),
        )
        self._declare(course)
        self._renamed_from(course)
        if spec.published is False:
            self.state.absent[(PUBLICATIONS.name, key)] = entry.at("published")
        elif spec.published is not None:
            settings = spec.published if isinstance(spec.published, PublicationSpec) else _NO_SETTINGS
            chosen = settings.model_fields_set
            values = {name: value for name, value in declared_values(settings).items() if name in chosen}
            publication = {"course": fields["title"], **catalogue_rules.as_sets(values)}
            places = catalogue_rules.places(settings, entry.at, "published")
            self._prerequisites_at.update(
                ((fields["title"], target_key[0]), where)
                for (target, target_key), where in places.items()
                if target == PUBLICATIONS.name
            )
            resource = Resource(PUBLICATIONS.name, key, publication, source=entry.at("published"))
            self._declare(resource, named_at=places)

    def _enrollment(self, entry: _Entry) -> None:
        spec = entry.spec
        assert isinstance(spec, EnrollmentSpec)
        word, target = spec.target
        # The manifest's word for the target (`course:`) names a lesson at some vendors.
        target_type = (self.provider.enrollment_targets if self.provider else {}).get(word, word)
        common = {"type": target_type, "target": target, **entry.managed_fields()}
        for name in ("course", "path", "plan", "users", "groups"):
            common.pop(name, None)
        self.state.scopes.setdefault(ENROLLMENTS.name, set()).add((target_type, target))
        target_source = entry.at(word)
        ref_sources = {1: target_source}
        for email, source in zip(spec.users, entry.each_at("users", len(spec.users)), strict=True):
            fields = {**common, "user": email}
            resource = Resource(ENROLLMENTS.name, ENROLLMENTS.key_of(fields), fields, source=source)
            self._declare(resource, ref_sources=ref_sources)
        by = f"enrollments in {target_type} {target!r}"
        for index, group in enumerate(spec.groups):
            where = entry.at("groups", index)
            self.state.expansions.append(GroupExpansion(ENROLLMENTS.name, common, group, where))
            self._refer("groups", (group,), where, by)
        self._refer(ENROLLMENT_TARGET_KINDS[target_type], (target,), target_source, by)

    def _path(self, entry: _Entry) -> None:
        fields = catalogue_rules.as_sets(entry.managed_fields())
        path = Resource(PATHS.name, PATHS.key_of(fields), fields, source=entry.source)
        # Its courses' publications found at their place in the list, its groups in their rule's.
        self._declare(path, entry=entry, named_at=catalogue_rules.places(entry.spec, entry.at))

    def _supervisor(self, entry: _Entry) -> None:
        spec = entry.spec
        assert isinstance(spec, SupervisorSpec)
        fields = entry.managed_fields()
        key = SUPERVISORS.key_of(fields)
        if spec.revoke:
            self.state.absent[(SUPERVISORS.name, key)] = entry.source
            self._refer("users", key, entry.at("user"), address(SUPERVISORS.name, key))
            return
        fields.pop("revoke", None)
        self._declare(Resource(SUPERVISORS.name, key, fields, source=entry.source), entry=entry)
        if spec.group is not None:
            self._refer("groups", (spec.group,), entry.at("group"), address(SUPERVISORS.name, key))

    def _webhook(self, entry: _Entry) -> None:
        spec = entry.spec
        assert isinstance(spec, WebhookSpec)
        fields = entry.managed_fields()
        fields.pop("events", None)
        secrets = entry.secrets()
        events = spec.events or [ALL_EVENTS]
        for index, event in enumerate(events):
            source = entry.at("events", index) if spec.events else entry.source
            per_event = {**fields, "event": event}
            key = WEBHOOKS.key_of(per_event)
            self._declare(Resource(WEBHOOKS.name, key, per_event, source=source, secrets=secrets))

    def _domain(self, entry: _Entry) -> None:
        """The domain's settings: only the declared fields are managed (an omitted one is left alone)."""
        fields = entry.managed_fields()
        self._declare(Resource(entry.kind.name, entry.kind.key_of(fields), fields, source=entry.source))

    def _instructor(self, entry: _Entry) -> None:
        fields = entry.managed_fields()
        self._declare(Resource(entry.kind.name, entry.kind.key_of(fields), fields, source=entry.source))

    def _session(self, entry: _Entry) -> None:
        spec = entry.spec
        assert isinstance(spec, SessionSpec)
        fields = entry.managed_fields()
        fields["lesson"] = lesson_name(spec.lesson)
        if spec.instructor is not None:
            fields["instructor"] = spec.instructor.lower()
        if "attendees" in spec.model_fields_set:  # omitted: the registrations are left as they are
            fields["attendees"] = sorted({user.lower() for user in spec.attendees})
        session = Resource(SESSIONS.name, SESSIONS.key_of(fields), fields, source=entry.source)
        self._declare(session, entry=entry)
        places = entry.each_at("attendees", len(spec.attendees))
        for user, where in zip(spec.attendees, places, strict=True):
            self._attendees.append((fields["lesson"], user.lower(), where, session.address))

    def _enrol_attendees(self) -> None:
        """Each attendee is enrolled in the session's lesson, as a vendor that keeps sessions (Damstra)
        registers only users scheduled for it: declared by the session unless the manifests enroll them.
        A group's enrollment of the same user with other settings is an error at plan time, as between
        two groups: enroll the user directly to say which settings hold."""
        word = (self.provider.enrollment_targets if self.provider else {}).get("course", "course")
        for lesson, user, where, session in self._attendees:
            fields = {"type": word, "target": lesson, "user": user}
            key = ENROLLMENTS.key_of(fields)
            if self.state.get(ENROLLMENTS.name, key) is None:
                self._declare(Resource(ENROLLMENTS.name, key, fields, source=where, origin=session))

    # --- shared steps ---------------------------------------------------------------------------

    def _declare(
        self,
        resource: Resource,
        ref_sources: Mapping[int, Location] | None = None,
        entry: _Entry | None = None,
        named_at: Mapping[tuple[str, Key], Location] | None = None,
    ) -> None:
        """Add a declared object and note what it refers to: by key part at `ref_sources` (default:
        the object's place), by field value where `entry` names it or at `named_at`."""
        existing = self.state.get(resource.kind, resource.key)
        if existing is not None:
            singular = KINDS_BY_NAME[resource.kind].singular
            shown = " / ".join(resource.key)
            self.issues.append(
                Issue(
                    resource.source, f"{singular} {shown!r} is declared twice: here and at {existing.source}"
                )
            )
            return
        pinned = resource.ids.get("id")
        if pinned is not None:
            twin = self._pinned.setdefault((resource.kind, pinned), resource)
            if twin is not resource:
                singular = KINDS_BY_NAME[resource.kind].singular
                self.issues.append(
                    Issue(
                        resource.source,
                        f"{singular} {' / '.join(resource.key)!r} has the id {pinned!r} of {singular} "
                        f"{' / '.join(twin.key)!r} (at {twin.source}): one object cannot be declared twice",
                    )
                )
                return
        self.state.add(resource)
        kind = KINDS_BY_NAME[resource.kind]
        for position, target in kind.key_refs(resource.key):
            where = ref_sources.get(position, resource.source) if ref_sources else resource.source
            self._refer(target, (resource.key[position],), where, resource)
        support = self.provider.supports.get(kind.name) if self.provider else None
        named = support.field_refs(kind, resource.fields) if support else kind.field_refs(resource.fields)
        for target, target_key in named:
            where = entry.where_named(target_key[0]) if entry is not None else resource.source
            if named_at is not None:
                where = named_at.get((target, target_key), where)
            self._refer(target, target_key, where, resource)

    def _refer(self, kind: str, key: Key, source: Location | None, by: str | Resource) -> None:
        self._references.append((kind, key, source, by))

    def _renamed_from(self, resource: Resource) -> None:
        """Note the former keys of a declared object, so references to them can be refused."""
        for former in resource.previously:
            self._former.setdefault((resource.kind, former), resource)

    def _renamed(self, kind_name: str, key: Key) -> Resource | None:
        """The declaration that renamed the object a reference names, if one lists it in `previously:`.

        A reference may name the renamed object through a kind keyed by it: an enrollment names a
        course by its publication, whose key is the course's.
        """
        found = self._former.get((kind_name, key))
        if found is None and len(key) == 1:
            found = next(
                (
                    self._former[(target, key)]
                    for position, target in KINDS_BY_NAME[kind_name].key_refs(key)
                    if position == 0 and (target, key) in self._former
                ),
                None,
            )
        return found

    def _renamed_reference(self, kind_name: str, key: Key, source: Location | None) -> Issue | None:
        """A reference by a former name dangles once apply renames the object: say what it is now."""
        found = self._renamed(kind_name, key)
        if found is None:
            return None
        singular = KINDS_BY_NAME[found.kind].singular
        return Issue(
            source,
            f"{singular} {key[0]!r} is renamed to {found.key[0]!r} (`previously:` of the declaration at "
            f"{found.source}); refer to it by its new name",
        )

    def check_references(self, *, every_file_read: bool = True) -> list[Reference]:
        """References must name declared objects, or (for additive kinds) objects that may exist live.

        Returns those to check against the live account at plan time. When a file could not be read
        (a YAML syntax error), what it declares is unknown: a name no other file declares is then no
        error of its own, which would only send the reader to the wrong place.
        """
        self._enrol_attendees()
        self.issues.extend(catalogue_rules.prerequisite_cycles(self._prerequisites_at))
        unresolved: dict[tuple[str, Key], Reference] = {}
        seen: set[tuple[str, Key, Location | None]] = set()
        for kind_name, key, source, by in self._references:
            place = (kind_name, key, source)
            if self.state.get(kind_name, key) is not None or place in seen:
                continue
            seen.add(place)
            renamed = self._renamed_reference(kind_name, key, source)
            if renamed is not None:
                self.issues.append(renamed)
                continue
            target = KINDS_BY_NAME[kind_name]
            reference = Reference(kind_name, key, source, by if isinstance(by, str) else by.address)
            name = f"{target.singular} {reference.key[0]!r}"
            support = self.provider.supports.get(reference.kind) if self.provider else None
            if (reference.kind, reference.key) in self.state.absent:
                declared_at = self.state.absent[(reference.kind, reference.key)]
                self.issues.append(
                    Issue(reference.source, f"{name} is declared not to exist (at {declared_at})")
                )
            elif not every_file_read:
                continue
            elif support is not None and support.names_only:
                assert self.provider is not None
                self.issues.append(
                    Issue(
                        reference.source,
                        f"{name} is not declared; {self.provider.title} cannot look {reference.kind} up, so "
                        f"name each one once under {reference.kind} with its api_id"
                        + self._closest(reference.kind, reference.key),
                    )
                )
            elif self._authoritative_owner(reference) is not None:
                owner = KINDS_BY_NAME[str(self._authoritative_owner(reference))]
                self.issues.append(
                    Issue(
                        reference.source,
                        f"{owner.singular} {reference.key[0]!r} is not declared; with manage.{owner.name}: "
                        f"authoritative every {owner.singular} referred to must be declared"
                        + self._closest(owner.name, reference.key),
                    )
                )
            else:
                unresolved.setdefault((reference.kind, reference.key), reference)
        return list(unresolved.values())

    def _authoritative_owner(self, reference: Reference) -> str | None:
        """The authoritative kind that must declare what `reference` names: its own kind, or for a kind
        `manage:` does not name, the kind it stands for (a publication's course); None if additive.
        A course the manifests declare unpublished may be published live: the plan checks it."""
        kind = KINDS_BY_NAME[reference.kind]
        owner = kind if kind.managed_mode else None
        if owner is None and len(reference.key) == 1:
            owner = next((KINDS_BY_NAME[to] for at, to in kind.key_refs(reference.key) if at == 0), None)
        if owner is None or owner.spec is None or self.manage.mode(owner.name) != "authoritative":
            return None
        return owner.name if self.state.get(owner.name, reference.key) is None else None

    def _closest(self, kind_name: str, key: Key) -> str:
        """`; did you mean ...?` with the declared names of the kind closest to `key`'s. Never for
        users: an address one letter from another is another person's (x@acme.com, b@acme.com)."""
        if kind_name == USERS.name:
            return ""
        names = [str(declared[0]) for declared in self.state.of(kind_name) if len(declared) == 1]
        return did_you_mean(str(key[0]), names) if len(key) == 1 else ""


def allowed_fields(kind: Kind, support: KindSupport) -> set[str]:
    """The fields a provider lets a manifest entry of this kind declare."""
    assert kind.spec is not None
    identity = kind.spec.IDENTITY - set(support.unsupported_fields)
    return set(support.fields | support.relations | identity) | set(support.key or kind.key_fields)


def unknown_kind(name: Any) -> str:
    if name in ("provider", "manage", "version"):
        return f"{name!r} belongs in lmsform.yaml"
    expected = ", ".join(DECLARABLE)
    if not isinstance(name, str):
        return f"a top-level key must name a kind ({expected}), not {what_it_is(name)}"
    return f"unknown kind {shortened(name)!r} (expected one of: {expected})"
