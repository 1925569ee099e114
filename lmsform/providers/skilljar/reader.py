"""Read a Skilljar domain into a State: all normalisation of what Skilljar returns happens here.

Only what the manifests can affect is read: every domain user and group (two paginated lists),
the members of the groups they name, the catalogue when they mention courses, enrollments of the
courses, paths and plans they name, and webhooks when they declare or govern them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from lmsform.errors import ProviderError
from lmsform.model import (
    ALL_EVENTS,
    COURSES,
    ENROLLMENTS,
    GROUPS,
    MEMBERSHIPS,
    PATHS,
    PLANS,
    PUBLICATIONS,
    SUPERVISORS,
    USERS,
    WEBHOOKS,
    Key,
    ManageConfig,
)
from lmsform.providers.skilljar.client import SkilljarClient
from lmsform.specs import canonical_instant
from lmsform.state import Resource, State

OWNER_LABEL = "lmsform"
NOT_OWNED = f"it was not created or adopted by lmsform (it has no {OWNER_LABEL!r} label)"
PUBLICATION_SETTINGS = (
    "slug",
    "hidden",
    "registration_required",
    "registration_starts_at",
    "registration_ends_at",
    "strict_enforce_group_visibility",
    "restrict_access_start_end_dates",
    "allow_self_service_reenroll",
    "unique_progress_per_enrollment",
    "require_all_prerequisites",
)
_INSTANT_FIELDS = frozenset({"registration_starts_at", "registration_ends_at", "expires_at"})

T = TypeVar("T")
R = TypeVar("R")


def read_state(
    client: SkilljarClient,
    desired: State,
    manage: ManageConfig,
    *,
    parallelism: int,
    everything: bool = False,
) -> State:
    """The live objects the manifests can affect; with `everything`, the whole readable account (export)."""
    try:
        return _Reader(client, desired, manage, parallelism, everything).read()
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        # Skilljar answered with JSON of an unexpected shape: say so instead of a traceback.
        raise ProviderError(
            vendor="skilljar", message=f"malformed response: an item lacks or mistypes {error}"
        ) from None


class _Reader:
    def __init__(
        self, client: SkilljarClient, desired: State, manage: ManageConfig, parallelism: int, everything: bool
    ) -> None:
        self.everything = everything
        self.client = client
        self.desired = desired
        self.manage = manage
        self.parallelism = parallelism
        self.live = State()

    def read(self) -> State:
        _check_domain(self.client)
        for item in self.client.list_domain_users():
            self.live.add(_user(item))
        groups = {resource.key: resource for resource in map(_group, self.client.list_groups())}
        for group in groups.values():
            self.live.add(group)
        self._read_memberships(groups)
        if (
            self.everything
            or self._mentions(COURSES.name, PUBLICATIONS.name)
            or self.desired.scopes.get(ENROLLMENTS.name)
            or self._supervisors_name("courses", "paths")
        ):
            self._read_catalogue()
        if self.everything or self._mentions(WEBHOOKS.name):
            for resource in _webhooks(self.client.list_webhooks()):
                self.live.add(resource)
        return self.live

    def _mentions(self, *kinds: str) -> bool:
        return any(
            self.desired.of(kind) or self.manage.mode(kind) == "authoritative" for kind in kinds
        ) or any(kind_name in kinds for kind_name, _ in self.desired.absent)

    def _supervisors_name(self, *fields: str) -> bool:
        return any(
            item.fields.get(name) for item in self.desired.of(SUPERVISORS.name).values() for name in fields
        )

    def _parallel(self, function: Callable[[T], R], items: Sequence[T]) -> list[R]:
        with ThreadPoolExecutor(max_workers=self.parallelism) as pool:
            return list(pool.map(function, items))

    # --- memberships ------------------------------------------------------------------------------

    def _read_memberships(self, groups: Mapping[Key, Resource]) -> None:
        named = set(self.desired.of(GROUPS.name))
        named.update((key[0],) for key in self.desired.of(MEMBERSHIPS.name))
        named.update((expansion.group,) for expansion in self.desired.expansions)
        named.update(old for group in self.desired.of(GROUPS.name).values() for old in group.previously)
        in_scope = [
            groups[key]
            for key in sorted(named | (set(groups) if self.everything else set()))
            if key in groups
        ]
        member_lists = self._parallel(
            lambda group: list(self.client.list_group_users(group.ids["id"])), in_scope
        )
        for group, members in zip(in_scope, member_lists, strict=True):
            rules = group.fields.get("membership_rules")
            for member in members:
                self.live.add(_membership(group, member, protected=rules))

    # --- courses, publications, paths, plans, enrollments -------------------------------------------

    def _read_catalogue(self) -> None:
        courses_by_id = self._read_courses()
        publications = self._read_publications(courses_by_id)
        targets: list[tuple[str, Resource]] = []
        scopes = self.desired.scopes.get(ENROLLMENTS.name, set())
        courses = self._courses_to_read_enrollments_of(courses_by_id)
        targets += [
            ("course", publication)
            for publication in publications
            if self.everything or publication.key[0] in courses
        ]
        if self.everything or any(kind == "path" for kind, _ in scopes) or self._supervisors_name("paths"):
            for path in map(_path, self.client.list_paths()):
                self.live.add(path)
                if self.everything or ("path", path.key[0]) in scopes:
                    targets.append(("path", path))
        if self.everything or any(kind == "plan" for kind, _ in scopes):
            for plan in map(_plan, self.client.list_plans()):
                self.live.add(plan)
                if self.everything or ("plan", plan.key[0]) in scopes:
                    targets.append(("plan", plan))
        enrollment_lists = self._parallel(
            lambda target: list(self.client.list_enrollments(target[0], target[1].ids["id"])), targets
        )
        for (target_type, target), items in zip(targets, enrollment_lists, strict=True):
            for resource in _enrollments(target_type, target, items):
                self.live.add(resource)

    def _courses_to_read_enrollments_of(self, courses_by_id: Mapping[str, Resource]) -> set[str]:
        """Titles of the live courses whose enrollments matter: those named in enrollments (also
        under a former title or a pinned id), and those the manifests unpublish."""
        named = {
            title for kind, title in self.desired.scopes.get(ENROLLMENTS.name, set()) if kind == "course"
        }
        titles = set(named)
        for course in self.desired.of(COURSES.name).values():
            if course.key[0] in named:
                titles.update(old[0] for old in course.previously)
                pinned = courses_by_id.get(course.ids.get("id", ""))
                if pinned is not None:
                    titles.add(pinned.key[0])
        titles.update(key[0] for kind, key in self.desired.absent if kind == PUBLICATIONS.name)
        return titles

    def _read_courses(self) -> dict[str, Resource]:
        by_id: dict[str, Resource] = {}
        ids_by_title: dict[str, list[str]] = defaultdict(list)
        for item in self.client.list_courses():
            title = str(item["title"])
            ids_by_title[title].append(str(item["id"]))
            # Titles are not unique on Skilljar: later namesakes get the id in their key.
            key = (title,) if len(ids_by_title[title]) == 1 else (title, str(item["id"]))
            resource = _course(item, key)
            self.live.add(resource)
            by_id[resource.ids["id"]] = resource
        for title, ids in ids_by_title.items():
            if len(ids) > 1:
                self.live.ambiguous[(COURSES.name, (title,))] = ids
        return by_id

    def _read_publications(self, courses_by_id: Mapping[str, Resource]) -> list[Resource]:
        publications = []
        for item in self.client.list_publications():
            course = courses_by_id.get(str(item["course"]["id"]))
            if course is None:
                continue  # a course this organisation's course list does not show
            resource = _publication(item, course)
            self.live.add(resource)
            publications.append(resource)
        return publications


def _check_domain(client: SkilljarClient) -> None:
    try:
        client.get_domain()
    except ProviderError as error:
        if error.status == 404:
            raise ProviderError(
                vendor=error.vendor,
                message=f"domain {client.domain!r} does not exist in this Skilljar organisation "
                "(check provider.domain)",
                status=404,
                method=error.method,
                path=error.path,
            ) from None
        raise


def _instant(value: Any) -> str | None:
    return None if value in (None, "") else canonical_instant(str(value))


def _user(item: Mapping[str, Any]) -> Resource:
    user = item["user"]
    fields = {
        "email": user["email"],
        "first_name": user.get("first_name") or "",
        "last_name": user.get("last_name") or "",
        "active": bool(item.get("active", True)),
    }
    return Resource(USERS.name, USERS.key_of(fields), fields, ids={"id": str(user["id"])})


def _group(item: Mapping[str, Any]) -> Resource:
    rule = item.get("sign_up_field_rule") or {}
    by_domain = item.get("rule_email_domains") or []
    rules = []
    if by_domain:
        rules.append(f"e-mail domains {', '.join(by_domain)}")
    if rule.get("options"):
        rules.append("sign-up field answers")
    fields = {
        "name": item["name"],
        "discount_percent": item.get("discount_percent"),
        "user_count": item.get("user_count"),
        "membership_rules": (
            f"Skilljar adds members to group {item['name']!r} by {' and '.join(rules)}"
            + (" and removes those who stop matching" if rule.get("enforce") else "")
        )
        if rules
        else None,
    }
    return Resource(GROUPS.name, GROUPS.key_of(fields), fields, ids={"id": str(item["id"])})


def _membership(group: Resource, item: Mapping[str, Any], *, protected: str | None) -> Resource:
    user = item["user"]
    fields = {"group": group.fields["name"], "user": user["email"]}
    return Resource(
        MEMBERSHIPS.name,
        MEMBERSHIPS.key_of(fields),
        fields,
        ids={"group": group.ids["id"], "user": str(user["id"])},
        protected=protected,
    )


def _course(item: Mapping[str, Any], key: Key) -> Resource:
    labels = [str(label) for label in item.get("labels") or []]
    fields = {
        "title": item["title"],
        "short_description": item.get("short_description"),
        "long_description": item.get("long_description_html") or "",
        "sequential_navigation": bool(item.get("enforce_sequential_navigation")),
        "labels": sorted(label for label in labels if label != OWNER_LABEL),
    }
    protected = None if OWNER_LABEL in labels else NOT_OWNED
    return Resource(COURSES.name, key, fields, ids={"id": str(item["id"])}, protected=protected)


def _publication(item: Mapping[str, Any], course: Resource) -> Resource:
    fields: dict[str, Any] = {"course": course.fields["title"]}
    for name in PUBLICATION_SETTINGS:
        value = item.get(name)
        fields[name] = _instant(value) if name in _INSTANT_FIELDS else value
    return Resource(
        PUBLICATIONS.name,
        course.key,
        fields,
        ids={"id": str(item["id"]), "course": course.ids["id"]},
    )


def _path(item: Mapping[str, Any]) -> Resource:
    path = item.get("path") or {}
    fields = {"slug": item["slug"], "title": path.get("title")}
    # The published path's id addresses its enrollments; the path's own id goes in manager grants.
    ids = {"id": str(item["id"]), "path": str(path.get("id", ""))}
    return Resource(PATHS.name, PATHS.key_of(fields), fields, ids=ids)


def _plan(item: Mapping[str, Any]) -> Resource:
    fields = {"name": item["name"], "slug": item.get("slug")}
    return Resource(PLANS.name, PLANS.key_of(fields), fields, ids={"id": str(item["id"])})


def _enrollments(target_type: str, target: Resource, items: Iterable[Mapping[str, Any]]) -> list[Resource]:
    """One resource per learner: a learner may hold several enrollments in one course on Skilljar."""
    by_user: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    emails: dict[str, str] = {}
    for item in items:
        user = item["user"]
        by_user[str(user["id"])].append(item)
        emails[str(user["id"])] = str(user["email"])
    resources = []
    for user_id, held in by_user.items():
        if len(held) == 1:  # the usual case: nothing to choose between
            latest = held[0]
            active = held if latest.get("active", True) else []
        else:
            active = [item for item in held if item.get("active", True)]
            latest = max(active or held, key=lambda item: str(item.get("enrolled_at") or ""))
        fields = {
            "type": target_type,
            "target": target.key[0],
            "user": emails[user_id],
            "active": bool(active),
            "expires_at": _instant(latest.get("expires_at")),
        }
        ids = {
            "id": str(latest["id"]),
            "target": target.ids["id"],
            "user": user_id,
            "active_ids": ",".join(str(item["id"]) for item in active),
        }
        resources.append(
            Resource(
                ENROLLMENTS.name, ENROLLMENTS.key_of(fields), fields, ids=ids, protected=target.protected
            )
        )
    return resources


def _webhooks(items: Iterable[Mapping[str, Any]]) -> list[Resource]:
    resources = []
    seen: set[Key] = set()
    for item in items:
        event = item.get("event_type") or ALL_EVENTS
        fields = {
            "url": item["target_url"],
            "event": event,
            "active": bool(item.get("active", True)),
            "basic_auth_username": item.get("basic_auth_username") or "",
        }
        key = WEBHOOKS.key_of(fields)
        if key in seen:  # Skilljar allows duplicates; a second one is an object of its own
            key = (key[0], f"{event} #{item['id']}")
        seen.add(key)
        resources.append(Resource(WEBHOOKS.name, key, fields, ids={"id": str(item["id"])}))
    return resources
