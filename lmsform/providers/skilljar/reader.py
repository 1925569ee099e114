"""Read a Skilljar domain into a State: all normalisation of what Skilljar returns happens here.

Only what the manifests can affect is read: every domain user and group (two paginated lists),
the members of the groups they name, the catalogue when they mention courses, enrollments of the
courses, paths and plans they name, and webhooks when they declare or govern them. What a plan's
removals take with them that this left out (the members of a group the manifests no longer name)
is read afterwards, for those removals only (`read_taken`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from lmsform.errors import ProviderError
from lmsform.kinds import (
    ALL_EVENTS,
    COURSES,
    DOMAIN,
    ENROLLMENTS,
    GROUPS,
    MEMBERSHIPS,
    PATHS,
    PLANS,
    PUBLICATIONS,
    SESSIONS,
    SUPERVISORS,
    USERS,
    WEBHOOKS,
    Key,
)
from lmsform.plan import Change
from lmsform.project_config import ManageConfig
from lmsform.providers.base import Reading
from lmsform.providers.skilljar import ilt_reader, path_reader, publication_rules
from lmsform.providers.skilljar.client import SkilljarClient
from lmsform.providers.skilljar.course_titles import publication_titles, titles_after_renames
from lmsform.providers.skilljar.membership_rules import (
    MembershipRule,
    check_names,
    declared_by_live_key,
    declared_groups,
    options_by_id,
    rule_fields,
)
from lmsform.providers.vendor_answers import malformed_items
from lmsform.specs import SECRET_SHOWN, canonical_instant, secret_of_map
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
# lmsform's domain settings → Skilljar's fields (skilljar.md Domain).
DOMAIN_FIELDS = {
    "catalog_title": "catalog_title",
    "access": "access",
    "access_code_message": "access_code_message_html",
}
# How a webhook header's live value shows where the manifests declare another one.
OTHER_VALUE = "(another value)"
_INSTANT_FIELDS = frozenset({"registration_starts_at", "registration_ends_at", "expires_at"})
# The lists of children read so far: ("group", group id) for members, (target type, target id) for
# enrollments.
Listed = set[tuple[str, str]]


def read_state(
    client: SkilljarClient,
    desired: State,
    manage: ManageConfig,
    *,
    parallelism: int,
    everything: bool = False,
    listed: Listed | None = None,
) -> State:
    """The live objects the manifests can affect; with `everything`, the whole readable account (export).
    `listed` receives the groups and targets whose members or enrollments were read."""
    with malformed_items(client.http.vendor):
        reader = _Reader(
            client, desired, manage, parallelism, everything, listed=set() if listed is None else listed
        )
        return reader.read()


def read_taken(
    client: SkilljarClient, live: State, removals: Iterable[Change], *, parallelism: int, listed: Listed
) -> list[Resource]:
    """What Skilljar deletes along with `removals` that `read_state` left out (the lists in `listed`
    were read): the memberships of deleted groups, the enrollments of deleted publications and of
    the publications of deleted courses. One paginated list per group or publication."""
    groups, publications = _lists_taken(live, removals, listed)
    with malformed_items(client.http.vendor), ThreadPoolExecutor(max_workers=parallelism) as pool:
        members = [_fetch(pool, client.list_group_users, group.ids["id"]) for group in groups]
        enrolled = [
            _fetch(pool, client.list_enrollments, "course", publication.ids["id"])
            for publication in publications
        ]
        taken = [
            _membership(group, member, protected=_taken_rule(group).protection(member["user"]["email"], None))
            for group, listing in zip(groups, members, strict=True)
            for member in listing.result()
        ]
        for publication, listing in zip(publications, enrolled, strict=True):
            taken += _enrollments("course", publication, listing.result())
        paths = path_reader.paths_taken(live, removals, listed)
        for path in paths:
            taken += _enrollments("path", path, client.list_enrollments("path", path.ids["id"]))
        listed.update(("path", path.ids["id"]) for path in paths)
    listed.update(("group", group.ids["id"]) for group in groups)
    listed.update(("course", publication.ids["id"]) for publication in publications)
    return taken


def _taken_rule(group: Resource) -> MembershipRule:
    """A live group's rule as its fields hold it (the members go with the group anyway)."""
    rule = group.fields.get("sign_up_field_rule")
    answers = None if rule is None else {label: tuple(values) for label, values in rule["answers"].items()}
    return MembershipRule(
        str(group.fields["name"]), tuple(group.fields.get("rule_email_domains") or ()), answers
    )


def _lists_taken(
    live: State, removals: Iterable[Change], listed: Listed
) -> tuple[list[Resource], list[Resource]]:
    """The live groups whose members and publications whose enrollments the removals take, unread."""
    groups = {group.ids["id"]: group for group in live.of(GROUPS.name).values()}
    publications = {item.ids["id"]: item for item in live.of(PUBLICATIONS.name).values()}
    taken_groups: dict[str, Resource] = {}
    taken_publications: dict[str, Resource] = {}
    for change in removals:
        removed = change.ids.get("id", "")
        if change.kind == GROUPS.name and removed in groups:
            taken_groups[removed] = groups[removed]
        elif change.kind == PUBLICATIONS.name and removed in publications:
            taken_publications[removed] = publications[removed]
        elif change.kind == COURSES.name:
            for publication_id, item in publications.items():
                if item.ids["course"] == removed:
                    taken_publications[publication_id] = item
    return (
        [group for group_id, group in taken_groups.items() if ("group", group_id) not in listed],
        [item for item_id, item in taken_publications.items() if ("course", item_id) not in listed],
    )


@dataclass(eq=False)
class _Reader(Reading[SkilljarClient]):
    """Reads in one pool of `parallelism` threads: the independent lists (users, groups, the catalogue,
    webhooks) at once, then each group's members and each target's enrollments as soon as their
    group or target is known; the same requests as one list after another, without waiting for each
    list to end before the next begins. Objects go into the State in the order of the lists."""

    listed: Listed = field(default_factory=set)

    def read(self) -> State:
        domain = _check_domain(self.client)
        if self.everything or self.desired.of(DOMAIN.name):
            # The domain check's answer holds the settings: no request more (skilljar.md D76).
            self.live.add(_domain_settings(domain))
        pool = ThreadPoolExecutor(max_workers=self.parallelism)
        try:
            self._read(pool)
        finally:  # after a failure, lists not yet begun are not read
            pool.shutdown(wait=True, cancel_futures=True)
        return self.live

    def _read(self, pool: ThreadPoolExecutor) -> None:
        attributes = self._declared_attributes()
        named_groups = list(self.desired.of(GROUPS.name).values())
        by_answers = any(group.fields.get("sign_up_field_rule") for group in named_groups)
        wants_attributes = self.everything or bool(attributes) or by_answers
        users = _fetch(pool, partial(self.client.list_domain_users, signup_fields=wants_attributes))
        # The domain's sign-up fields and the group categories, only when the manifests name them
        # (skilljar.md D66, D67); an export reads them once a live group needs them.
        wants_options = bool(attributes) or bool(declared_groups(named_groups, "sign_up_field_rule"))
        labels = _fetch(pool, self.client.list_signup_fields) if wants_options else None
        groups = _fetch(pool, self.client.list_groups)
        wants_categories = bool(declared_groups(named_groups, "category"))
        categories = _fetch(pool, self.client.list_group_categories) if wants_categories else None
        scopes = self.desired.scopes.get(ENROLLMENTS.name, set())
        catalogue = (
            self.everything
            or self._mentions(COURSES.name, PUBLICATIONS.name)
            or bool(scopes)
            or self._supervisors_name("courses", "paths")
            or self._mentions(PATHS.name)
            or bool(self.desired.of(SESSIONS.name))
        )
        courses = _fetch(pool, self.client.list_courses) if catalogue else None
        publications = _fetch(pool, self.client.list_publications) if catalogue else None
        wants_paths = (
            self.everything
            or any(kind == "path" for kind, _ in scopes)
            or self._supervisors_name("paths")
            or self._mentions(PATHS.name)
        )
        paths = _fetch(pool, self.client.list_paths) if catalogue and wants_paths else None
        wants_plans = self.everything or any(kind == "plan" for kind, _ in scopes)
        plans = _fetch(pool, self.client.list_plans) if catalogue and wants_plans else None
        webhooks = (
            _fetch(pool, self.client.list_webhooks)
            if self.everything or self._mentions(WEBHOOKS.name)
            else None
        )

        # Each kind keeps its own order in the State, so lists are taken as their follow-ups need them.
        group_items = groups.result()
        names = self._group_names(pool, group_items, labels, categories)
        by_key = {resource.key: resource for resource in (_group(item, names) for item in group_items)}
        group_rules = self._membership_rules(group_items, names[1])
        for group in by_key.values():
            self.live.add(group)
        in_scope = self._groups_to_read(by_key)
        members = [_fetch(pool, self.client.list_group_users, group.ids["id"]) for group in in_scope]
        self.listed.update(("group", group.ids["id"]) for group in in_scope)
        targets: list[tuple[str, Resource]] = []
        if courses is not None and publications is not None:
            targets = self._catalogue(courses.result(), publications.result(), paths, plans)
        enrollments = [
            _fetch(pool, self.client.list_enrollments, target_type, target.ids["id"])
            for target_type, target in targets
        ]
        self.listed.update((target_type, target.ids["id"]) for target_type, target in targets)
        path_reads = path_reader.start_reading(
            pool, self.client, self.live, self.desired, everything=self.everything
        )
        # Paths, rules and sessions name a course by the title a rename in this plan gives it.
        titles = titles_after_renames(self.live, self.desired)
        ilt_reads = ilt_reader.start_reading(
            pool, self.client, self.live, self.desired, titles, everything=self.everything
        )
        rules = publication_rules.sources_to_read(self.desired, self.live, everything=self.everything)
        rule_reads = publication_rules.start_reading(pool, self.client, self.live, rules)
        if labels is not None and attributes:
            _check_labels(self.client, attributes, labels.result())
        answers: dict[str, dict[str, str]] | None = {} if wants_attributes else None
        for item in users.result():
            self.live.add(_user(item, attributes, everything=self.everything))
            if answers is not None:
                answers[str(item["user"]["email"]).lower()] = signup_values(item)
        for group, listed in zip(in_scope, members, strict=True):
            rule = group_rules[group.ids["id"]]
            for member in listed.result():
                email = str(member["user"]["email"])
                known = None if answers is None else answers.get(email.lower())
                self.live.add(_membership(group, member, protected=rule.protection(email, known)))
        for (target_type, target), listed in zip(targets, enrollments, strict=True):
            for resource in _enrollments(target_type, target, listed.result()):
                self.live.add(resource)
        if webhooks is not None:
            for resource in _webhooks(webhooks.result(), self.desired):
                self.live.add(resource)
        by_publication = publication_titles(self.live, titles)
        publication_rules.finish_reading(self.live, rule_reads, by_publication)
        path_reader.finish_reading(self.live, path_reads, by_publication)
        ilt_reader.finish_reading(self.live, ilt_reads)

    def _group_names(
        self,
        pool: ThreadPoolExecutor,
        items: list[dict[str, Any]],
        labels: Future[list[dict[str, Any]]] | None,
        categories: Future[list[dict[str, Any]]] | None,
    ) -> tuple[dict[str, str] | None, dict[str, tuple[str, str]] | None]:
        """The category names by id and the domain's sign-up options by id, where they were read (an
        export reads each only when a live group has one); the names the manifests give, checked."""
        has_category = any(item.get("group_category_id") for item in items)
        if self.everything and categories is None and has_category:
            categories = _fetch(pool, self.client.list_group_categories)
        has_options = any((item.get("sign_up_field_rule") or {}).get("options") for item in items)
        if self.everything and labels is None and has_options:
            labels = _fetch(pool, self.client.list_signup_fields)
        category_items = categories.result() if categories is not None else None
        signup_fields = labels.result() if labels is not None else None
        declared = self.desired.of(GROUPS.name).values()
        check_names(
            self.client.http.vendor,
            self.client.domain,
            declared,
            None if category_items is None else [str(item["name"]) for item in category_items],
            signup_fields if declared_groups(declared, "sign_up_field_rule") else None,
        )
        by_id = None
        if category_items is not None:
            by_id = {str(item["id"]): str(item["name"]) for item in category_items}
        return by_id, None if signup_fields is None else options_by_id(signup_fields)

    def _membership_rules(
        self,
        items: list[dict[str, Any]],
        options: Mapping[str, tuple[str, str]] | None,
    ) -> dict[str, MembershipRule]:
        """Each live group's rule, by group id: the declared one where the manifests declare it."""
        declared = declared_by_live_key(self.desired.of(GROUPS.name))
        rules = {}
        for item in items:
            wanted = declared.get((str(item["name"]),))
            declared_fields = None if wanted is None else wanted.fields
            rules[str(item["id"])] = MembershipRule.of(item, declared_fields, options)
        return rules

    def _declared_attributes(self) -> dict[Key, Resource]:
        """The desired users that declare sign-up field values (`attributes`), by key."""
        return {key: user for key, user in self.desired.of(USERS.name).items() if "attributes" in user.fields}

    def _mentions(self, *kinds: str) -> bool:
        return any(
            self.desired.of(kind) or self.manage.mode(kind) == "authoritative" for kind in kinds
        ) or any(kind_name in kinds for kind_name, _ in self.desired.absent)

    def _supervisors_name(self, *fields: str) -> bool:
        return any(
            item.fields.get(name) for item in self.desired.of(SUPERVISORS.name).values() for name in fields
        )

    # --- memberships ------------------------------------------------------------------------------

    def _groups_to_read(self, groups: Mapping[Key, Resource]) -> list[Resource]:
        """The groups whose members matter: those the manifests name (also under a former name)."""
        named = set(self.desired.of(GROUPS.name))
        named.update((key[0],) for key in self.desired.of(MEMBERSHIPS.name))
        named.update((expansion.group,) for expansion in self.desired.expansions)
        named.update(old for group in self.desired.of(GROUPS.name).values() for old in group.previously)
        return [
            groups[key]
            for key in sorted(named | (set(groups) if self.everything else set()))
            if key in groups
        ]

    # --- courses, publications, paths, plans, enrollments -------------------------------------------

    def _catalogue(
        self,
        courses: list[dict[str, Any]],
        publications: list[dict[str, Any]],
        paths: Future[list[dict[str, Any]]] | None,
        plans: Future[list[dict[str, Any]]] | None,
    ) -> list[tuple[str, Resource]]:
        """Adds the catalogue to the State; returns the targets whose enrollments are read."""
        courses_by_id = self._add_courses(courses)
        published = self._add_publications(publications, courses_by_id)
        scopes = self.desired.scopes.get(ENROLLMENTS.name, set())
        wanted = self._courses_to_read_enrollments_of(courses_by_id)
        targets = [
            ("course", publication)
            for publication in published
            if self.everything or publication.key[0] in wanted
        ]
        if paths is not None:
            for path in map(_path, paths.result()):
                self.live.add(path)
                if self.everything or ("path", path.key[0]) in scopes:
                    targets.append(("path", path))
        if plans is not None:
            for plan in map(_plan, plans.result()):
                self.live.add(plan)
                if self.everything or ("plan", plan.key[0]) in scopes:
                    targets.append(("plan", plan))
        return targets

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

    def _add_courses(self, items: Iterable[Mapping[str, Any]]) -> dict[str, Resource]:
        by_id: dict[str, Resource] = {}
        ids_by_title: dict[str, list[str]] = defaultdict(list)
        for item in items:
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

    def _add_publications(
        self, items: Iterable[Mapping[str, Any]], courses_by_id: Mapping[str, Resource]
    ) -> list[Resource]:
        publications = []
        for item in items:
            course = courses_by_id.get(str(item["course"]["id"]))
            if course is None:
                continue  # a course this organisation's course list does not show
            resource = _publication(item, course)
            self.live.add(resource)
            publications.append(resource)
        return publications


def _fetch(
    pool: ThreadPoolExecutor, listing: Callable[..., Iterator[dict[str, Any]]], *args: str
) -> Future[list[dict[str, Any]]]:
    """Read a whole list (following its pages one by one) in the pool."""
    return pool.submit(lambda: list(listing(*args)))


def _check_domain(client: SkilljarClient) -> dict[str, Any]:
    try:
        return client.get_domain()
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


def _domain_settings(item: Mapping[str, Any]) -> Resource:
    fields = {ours: item.get(theirs) or "" for ours, theirs in DOMAIN_FIELDS.items()}
    # Its writes address the domain by name, from the settings: no id of the answer is needed.
    return Resource(DOMAIN.name, DOMAIN.key_of(fields), fields)


def _instant(value: Any) -> str | None:
    return None if value in (None, "") else canonical_instant(str(value))


def _check_labels(
    client: SkilljarClient, declaring: Mapping[Key, Resource], signup_fields: Iterable[Mapping[str, Any]]
) -> None:
    """Every label the manifests give a value must be one of the domain's sign-up fields: found now,
    not halfway through an apply (skilljar.md Attributes)."""
    known = {str(item["label"]) for item in signup_fields}
    for user in declaring.values():
        unknown = sorted(set(user.fields["attributes"] or {}) - known)
        if unknown:
            where = f"{user.source}: " if user.source is not None else ""
            raise ProviderError(
                vendor=client.http.vendor,
                message=f"{where}domain {client.domain!r} has no sign-up field "
                f"{', '.join(map(repr, unknown))} (its fields: {', '.join(sorted(known)) or 'none'})",
                kind=USERS.name,
                key=user.address,
            )


def signup_values(item: Mapping[str, Any]) -> dict[str, str]:
    """A domain user's sign-up field values by the field's label."""
    return {
        str(value["signup_field"]["label"]): str(value["value"])
        for value in item.get("signup_fields") or []
        if value.get("signup_field", {}).get("label") is not None
    }


def access_code_of(item: Mapping[str, Any]) -> str | None:
    code = (item.get("access_code") or {}).get("code")
    return None if code is None else str(code)


def _user(item: Mapping[str, Any], declaring: Mapping[Key, Resource], *, everything: bool) -> Resource:
    user = item["user"]
    fields: dict[str, Any] = {
        "email": user["email"],
        "first_name": user.get("first_name") or "",
        "last_name": user.get("last_name") or "",
        "active": bool(item.get("active", True)),
        "expires_at": _instant(item.get("expires_at")),
        "access_code": access_code_of(item),
    }
    key = USERS.key_of(fields)
    values = signup_values(item)
    wanted = declaring.get(key)
    if wanted is not None:
        # Additive: only the labels the manifests declare are compared; the rest are left alone.
        declared = wanted.fields["attributes"] or {}
        fields["attributes"] = {label: values[label] for label in declared if label in values}
    elif everything and values:
        fields["attributes"] = values
    return Resource(USERS.name, key, fields, ids={"id": str(user["id"])})


def _group(
    item: Mapping[str, Any], names: tuple[Mapping[str, str] | None, Mapping[str, tuple[str, str]] | None]
) -> Resource:
    """A group; its category and sign-up rule where `names` holds what names them (skilljar.md D66)."""
    fields = {
        "name": item["name"],
        "discount_percent": item.get("discount_percent"),
        "user_count": item.get("user_count"),
        **rule_fields(item, names[0], names[1]),
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
    return path_reader.path_resource(item)


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


def _headers(item: Mapping[str, Any], declared: Resource | None) -> dict[str, str]:
    """A webhook's header names, each value shown as `SECRET_SHOWN`, or as `OTHER_VALUE` where the
    manifests declare another value for it (skilljar.md D41): the value itself never leaves here."""
    secrets = declared.secrets if declared is not None else {}
    shown = {}
    for name, value in dict(item.get("additional_headers") or {}).items():
        wanted = secrets.get(secret_of_map("additional_headers", str(name)))
        shown[str(name)] = OTHER_VALUE if wanted is not None and wanted != value else SECRET_SHOWN
    return shown


def _webhooks(items: Iterable[Mapping[str, Any]], desired: State) -> list[Resource]:
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
        fields["additional_headers"] = _headers(item, desired.get(WEBHOOKS.name, key))
        if key in seen:  # Skilljar allows duplicates; a second one is an object of its own
            key = (key[0], f"{event} #{item['id']}")
        seen.add(key)
        resources.append(Resource(WEBHOOKS.name, key, fields, ids={"id": str(item["id"])}))
    return resources
