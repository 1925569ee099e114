"""Skilljar converges: random manifests over a random live domain apply, re-plan empty, and are held.

The live domain is seeded straight into the emulator (objects "made elsewhere"): some match the
manifests (e-mails in another case, other names), some are outside their scope. What Skilljar holds
is read from the emulator's store, never through lmsform's reader.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lmsform.providers.skilljar.emulator import SkilljarStore, emulator_store
from lmsform.providers.skilljar.emulator.enrollment_store import Offering, OfferingKind
from lmsform.providers.skilljar.provider import EVENT_TYPES
from tests.properties.harness import (
    Convergence,
    Vendor,
    apply_in_turn,
    assert_store_holds,
    instant,
    yaml_text,
)

DOMAIN = "acme.skilljar.com"
SKILLJAR = Vendor(
    provider="skilljar",
    settings=f"  domain: {DOMAIN}\n  api_key: ${{SKILLJAR_API_KEY}}\n",
    key_variable="SKILLJAR_API_KEY",
    key="sk-properties-key",
    target=DOMAIN,
    extra_env={"LMSFORM_HOOK_PASSWORD": "hunter2-properties"},
)
OWNER_LABEL = "lmsform"

PEOPLE = ("ann", "bob", "cy.ng", "dora", "eve")
OUTSIDERS = ("old.timer@elsewhere.org", "temp@acme.com")
GROUPS = ("crew", "Crew", "office", "Ünit 7")
TITLES = ("Site Safety", "Fire Drill", "Erste Hilfe \N{EN DASH} Grundkurs")
SLUGS = dict(zip(TITLES, ("site-safety", "fire-drill", "erste-hilfe"), strict=True))
PATH_SLUG = "onboarding"
LABELS = ("compliance", "safety", "Pflicht")
HOOK_URLS = ("https://hooks.acme.example/lms", "https://hooks.acme.example/other")
KINDS = ("users", "groups", "memberships", "courses", "enrollments", "webhooks")

names = (
    st.text(alphabet=st.sampled_from("AaBbÉéßøŁł李Zz0 '-"), min_size=1, max_size=12)
    .map(str.strip)
    .filter(bool)
)
descriptions = (
    st.text(alphabet=st.sampled_from("Ab é\n.<>&李"), min_size=1, max_size=30).map(str.strip).filter(bool)
)
offsets = st.sampled_from(("Z", "+02:00", "-05:30", "+00:00"))
instants = st.builds(
    lambda day, hour, offset: f"2027-0{day % 9 + 1}-1{day % 10}T{hour:02d}:30:00{offset}",
    st.integers(0, 8),
    st.integers(0, 23),
    offsets,
)


def case_variant(draw: st.DrawFn, email: str) -> str:
    return "".join(char.upper() if draw(st.booleans()) else char for char in email)


def email_of(person: str) -> str:
    return f"{person}@acme.com"


@st.composite
def manifests(draw: st.DrawFn) -> tuple[dict[str, str], dict[str, str]]:
    """Manifest files and the `manage:` block of one random Skilljar project."""
    people = draw(st.lists(st.sampled_from(PEOPLE), unique=True, max_size=len(PEOPLE)))
    groups = draw(st.lists(st.sampled_from(GROUPS), unique=True, max_size=3))
    users = [draw(user_entries(person, groups)) for person in people]
    group_entries = [draw(group_entry(name, people)) for name in groups]
    titles = draw(st.lists(st.sampled_from(TITLES), unique=True, max_size=len(TITLES)))
    courses = [draw(course_entry(title)) for title in titles]
    published = [course["title"] for course in courses if course.get("published")]
    learners_exist = bool(people or groups)
    enrollments = [
        draw(enrollment_entry({"course": title}, people, groups))
        for title in published
        if draw(st.booleans()) and learners_exist
    ]
    if draw(st.booleans()) and learners_exist:
        enrollments.append(draw(enrollment_entry({"path": PATH_SLUG}, people, groups)))
    webhooks = draw(st.lists(webhook_entry(), max_size=2, unique_by=lambda hook: hook["url"]))
    documents = {
        "people.yaml": {"users": users, "groups": group_entries},
        "learning.yaml": {"courses": courses, "enrollments": enrollments},
        "hooks.yaml": {"webhooks": webhooks},
    }
    files = {
        name: yaml_text({kind: entries for kind, entries in document.items() if entries})
        for name, document in documents.items()
        if any(document.values())
    }
    manage = {kind: draw(st.sampled_from(("additive", "authoritative"))) for kind in KINDS}
    return files, manage


@st.composite
def user_entries(draw: st.DrawFn, person: str, groups: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"email": case_variant(draw, email_of(person))}
    for name in ("first_name", "last_name"):
        if draw(st.booleans()):
            entry[name] = draw(names)
    if draw(st.integers(0, 3)) == 0:
        entry["active"] = draw(st.booleans())
    if draw(st.booleans()) and groups:
        entry["groups"] = draw(st.lists(st.sampled_from(groups), unique=True, min_size=1))
    return entry


@st.composite
def group_entry(draw: st.DrawFn, name: str, people: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name}
    if draw(st.booleans()):
        entry["discount_percent"] = draw(st.integers(0, 100))
    if draw(st.booleans()) and people:
        entry["members"] = [
            email_of(person) for person in draw(st.lists(st.sampled_from(people), unique=True))
        ]
    return entry


@st.composite
def course_entry(draw: st.DrawFn, title: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"title": title}
    if draw(st.booleans()):
        entry["short_description"] = draw(descriptions)
    if draw(st.booleans()):
        entry["long_description"] = draw(descriptions)
    if draw(st.booleans()):
        entry["sequential_navigation"] = draw(st.booleans())
    if draw(st.booleans()):
        entry["labels"] = draw(st.lists(st.sampled_from(LABELS), unique=True))
    if draw(st.booleans()):
        entry["published"] = draw(st.just(True) | publication_settings(title))
    return entry


@st.composite
def publication_settings(draw: st.DrawFn, title: str) -> dict[str, Any]:
    """`published:` as settings: a slug of the title's own (slugs are unique on a domain), flags, dates."""
    settings: dict[str, Any] = {}
    if draw(st.booleans()):
        settings["slug"] = SLUGS[title]
    for flag in ("hidden", "registration_required"):
        if draw(st.booleans()):
            settings[flag] = draw(st.booleans())
    if draw(st.booleans()):
        settings["registration_starts_at"] = draw(instants)
    return settings


@st.composite
def enrollment_entry(
    draw: st.DrawFn, target: dict[str, str], people: list[str], groups: list[str]
) -> dict[str, Any]:
    entry: dict[str, Any] = dict(target)
    learners = draw(st.lists(st.sampled_from(people), unique=True, min_size=1)) if people else []
    entry["users"] = [case_variant(draw, email_of(person)) for person in learners]
    if not learners:
        entry["groups"] = groups[:1]
    if draw(st.integers(0, 3)) == 0:
        entry["active"] = draw(st.booleans())
    if draw(st.booleans()):
        entry["expires_at"] = draw(instants)
    return entry


@st.composite
def webhook_entry(draw: st.DrawFn) -> dict[str, Any]:
    entry: dict[str, Any] = {"url": draw(st.sampled_from(HOOK_URLS))}
    entry["events"] = draw(st.lists(st.sampled_from(sorted(EVENT_TYPES)), unique=True, max_size=2))
    if draw(st.booleans()):
        entry["active"] = draw(st.booleans())
    if draw(st.booleans()):
        entry["basic_auth_username"] = draw(names)
        entry["basic_auth_password"] = "${LMSFORM_HOOK_PASSWORD}"
    return entry


@st.composite
def live_domains(draw: st.DrawFn) -> dict[str, Any]:
    """A seed document: a domain worked on elsewhere, partly matching PEOPLE, GROUPS and TITLES."""
    emails = [
        case_variant(draw, email_of(person))
        for person in draw(st.lists(st.sampled_from(PEOPLE), unique=True))
    ]
    emails += draw(st.lists(st.sampled_from(OUTSIDERS), unique=True))
    users = [
        {
            "email": email,
            "first_name": draw(names),
            "domains": [{"name": DOMAIN, "active": draw(st.booleans())}],
        }
        for email in emails
    ]
    group_names = draw(st.lists(st.sampled_from((*GROUPS, "legacy")), unique=True, max_size=3))
    groups = [
        {"name": name, "members": draw(st.lists(st.sampled_from(emails), unique=True))}
        if emails
        else {"name": name}
        for name in group_names
    ]
    titles = draw(st.lists(st.sampled_from((*TITLES, "Legacy Course")), unique=True, max_size=3))
    courses = [
        {"title": title, "labels": draw(st.lists(st.sampled_from((*LABELS, OWNER_LABEL)), unique=True))}
        | ({"published_on": [DOMAIN]} if draw(st.booleans()) else {})
        for title in titles
    ]
    enrolled = [course["title"] for course in courses if "published_on" in course and emails]
    enrollments = [
        {"domain": DOMAIN, "course": title, "email": email, "active": draw(st.booleans())}
        for title in enrolled
        for email in draw(st.lists(st.sampled_from(emails), unique=True))
    ]
    webhooks = [
        {"target_url": url, "event_type": draw(st.sampled_from(sorted(EVENT_TYPES)))}
        for url in draw(
            st.lists(st.sampled_from((*HOOK_URLS, "https://elsewhere.example/hook")), unique=True)
        )
    ]
    return {
        "users": users,
        "groups": groups,
        "courses": courses,
        "enrollments": enrollments,
        "webhooks": webhooks,
        # A learning path is made in Skilljar's dashboard, never through the API: always there.
        "paths": [{"domain": DOMAIN, "slug": PATH_SLUG, "title": "Onboarding"}],
    }


# --- what Skilljar holds ----------------------------------------------------------------------------


def declared(files: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    import yaml

    merged: dict[str, list[dict[str, Any]]] = {}
    for text in files.values():
        for kind, entries in (yaml.safe_load(text) or {}).items():
            merged.setdefault(kind, []).extend(entries)
    return merged


def assert_skilljar_holds(store: SkilljarStore, files: Mapping[str, str], manage: Mapping[str, str]) -> None:
    wanted = declared(files)
    check_users(store, wanted.get("users", []), authoritative=manage["users"] == "authoritative")
    check_groups(store, wanted, manage)
    check_courses(store, wanted.get("courses", []), authoritative=manage["courses"] == "authoritative")
    check_enrollments(store, wanted.get("enrollments", []), groups=wanted)
    if manage["enrollments"] == "authoritative":
        check_no_undeclared_enrollments(store, wanted.get("enrollments", []))
    check_webhooks(store, wanted.get("webhooks", []), authoritative=manage["webhooks"] == "authoritative")


def check_users(store: SkilljarStore, users: list[dict[str, Any]], *, authoritative: bool) -> None:
    for user in users:
        record = store.find_user_by_email(user["email"])
        assert record is not None, f"users {user['email']}: not in the store"
        membership = store.get_domain_user(DOMAIN, record.id)
        held: dict[str, Any] = {"first_name": record.first_name, "last_name": record.last_name}
        held["active"] = membership is not None and membership.active
        expected: dict[str, Any] = {name: user[name] for name in ("first_name", "last_name") if name in user}
        expected["active"] = user.get("active", True)
        assert_store_holds(expected, held, what=f"users {user['email']}")
    if authoritative:
        kept = {user["email"].lower() for user in users}
        for member in store.list_domain_users(DOMAIN).items:
            if member.user.email.lower() not in kept:
                assert not member.active, f"users {member.user.email}: undeclared but still active"


def declared_members(wanted: Mapping[str, list[dict[str, Any]]]) -> dict[str, set[str]]:
    members: dict[str, set[str]] = {group["name"]: set() for group in wanted.get("groups", [])}
    for group in wanted.get("groups", []):
        members[group["name"]].update(email.lower() for email in group.get("members", []))
    for user in wanted.get("users", []):
        for name in user.get("groups", []):
            members.setdefault(name, set()).add(user["email"].lower())
    return members


def check_groups(
    store: SkilljarStore, wanted: Mapping[str, list[dict[str, Any]]], manage: Mapping[str, str]
) -> None:
    for group in wanted.get("groups", []):
        record = store.find_group_by_name(group["name"])
        assert record is not None and record.name == group["name"], (
            f"groups {group['name']}: not in the store"
        )
        if "discount_percent" in group:
            assert_store_holds(
                {"discount_percent": group["discount_percent"]},
                {"discount_percent": record.discount_percent},
                what=f"groups {group['name']}",
            )
    declared_names = {group["name"] for group in wanted.get("groups", [])}
    if manage["groups"] == "authoritative":
        left = {group.name for group in store.list_groups().items} - declared_names
        assert not left, f"groups: undeclared groups remain: {sorted(left)}"
    for name, emails in declared_members(wanted).items():
        record = store.find_group_by_name(name)
        assert record is not None, f"groups {name}: named by a membership, but not in the store"
        held = {member.user.email.lower() for member in store.list_group_members(record.id).items}
        assert emails <= held, f"memberships of {name}: missing {sorted(emails - held)}"
        if manage["memberships"] == "authoritative" and name in declared_names:
            assert held == emails, f"memberships of {name}: undeclared members remain {sorted(held - emails)}"


def check_courses(store: SkilljarStore, courses: list[dict[str, Any]], *, authoritative: bool) -> None:
    for course in courses:
        found = store.find_courses_by_title(course["title"])
        assert len(found) == 1, f"courses {course['title']}: the store holds {len(found)} of that title"
        record = found[0]
        held = {
            "short_description": record.short_description,
            "long_description": record.long_description_html,
            "sequential_navigation": record.enforce_sequential_navigation,
            "labels": sorted(label for label in record.labels if label != OWNER_LABEL),
        }
        expected = {name: course[name] for name in held if name in course}
        if "labels" in expected:
            expected["labels"] = sorted(expected["labels"])
        assert_store_holds(expected, held, what=f"courses {course['title']}")
        if course.get("published"):
            check_publication(store, course, record.id)
    if authoritative:
        titles = {course["title"] for course in courses}
        owned = {course.title for course in store.list_courses(label_name=OWNER_LABEL).items}
        assert owned <= titles, f"courses: undeclared courses lmsform owns remain: {sorted(owned - titles)}"


def check_publication(store: SkilljarStore, course: Mapping[str, Any], course_id: str) -> None:
    what = f"courses {course['title']} published"
    publication = store.find_publication_of_course(DOMAIN, course_id)
    assert publication is not None, f"{what}: not published on {DOMAIN}"
    settings = course["published"] if isinstance(course["published"], Mapping) else {}
    held = {name: getattr(publication, name) for name in settings}
    assert_store_holds(settings, held, what=what)


def enrolled_in(store: SkilljarStore, entry: Mapping[str, Any]) -> Offering:
    """The publication or published path an `enrollments:` entry names."""
    if "path" in entry:
        path = store.find_published_path_by_slug(DOMAIN, entry["path"])
        assert path is not None, f"enrollments {entry['path']}: no such path"
        return Offering(OfferingKind.PATH, path.id)
    (course,) = store.find_courses_by_title(entry["course"])
    publication = store.find_publication_of_course(DOMAIN, course.id)
    assert publication is not None, f"enrollments {entry['course']}: the course is not published"
    return Offering(OfferingKind.COURSE, publication.id)


def check_enrollments(
    store: SkilljarStore, enrollments: list[dict[str, Any]], *, groups: Mapping[str, list[dict[str, Any]]]
) -> None:
    members = declared_members(groups)
    for entry in enrollments:
        held = store.list_enrollments(enrolled_in(store, entry)).items
        learners = {email.lower() for email in entry.get("users", [])}
        for group in entry.get("groups", []):
            learners |= members.get(group, set())
        for email in sorted(learners):
            mine = [record for record in held if record.user.email.lower() == email]
            active = [record for record in mine if record.active]
            what = f"enrollments {entry.get('course') or entry['path']} {email}"
            if not entry.get("active", True):
                assert not active, f"{what}: declared inactive, but active in the store"
                continue
            assert active, f"{what}: no active enrollment in the store"
            if "expires_at" in entry:
                latest = max(active, key=lambda record: record.enrolled_at)
                assert instant(latest.expires_at) == instant(entry["expires_at"]), (
                    f"{what}: expires_at declared {entry['expires_at']}, the store holds {latest.expires_at}"
                )


def check_no_undeclared_enrollments(store: SkilljarStore, enrollments: list[dict[str, Any]]) -> None:
    """In the courses and paths the entries name, only their learners (groups: as held now) stay active."""
    allowed: dict[Offering, set[str]] = {}
    for entry in enrollments:
        learners = allowed.setdefault(enrolled_in(store, entry), set())
        learners |= {email.lower() for email in entry.get("users", [])}
        for name in entry.get("groups", []):
            group = store.find_group_by_name(name)
            if group is not None:
                learners |= {member.user.email.lower() for member in store.list_group_members(group.id).items}
    for offering, learners in allowed.items():
        active = {
            record.user.email.lower() for record in store.list_enrollments(offering).items if record.active
        }
        assert active <= learners, (
            f"enrollments in {offering}: undeclared learners active: {sorted(active - learners)}"
        )


def check_webhooks(store: SkilljarStore, webhooks: list[dict[str, Any]], *, authoritative: bool) -> None:
    held = store.list_webhooks().items
    wanted: set[tuple[str, str | None]] = set()
    for hook in webhooks:
        for event in hook["events"] or [None]:
            wanted.add((hook["url"], event))
            found = [
                record for record in held if (record.target_url, record.event_type) == (hook["url"], event)
            ]
            what = f"webhooks {hook['url']} {event or 'all events'}"
            assert len(found) == 1, f"{what}: the store holds {len(found)}"
            expected = {"active": hook.get("active", True)}
            if "basic_auth_username" in hook:
                expected["basic_auth_username"] = hook["basic_auth_username"]
                expected["basic_auth_password"] = SKILLJAR.extra_env["LMSFORM_HOOK_PASSWORD"]
            stored = {
                "active": found[0].active,
                "basic_auth_username": found[0].basic_auth_username,
                "basic_auth_password": found[0].basic_auth_password,
            }
            assert_store_holds(expected, stored, what=what)
    if authoritative:
        left = {(record.target_url, record.event_type) for record in held} - wanted
        assert not left, f"webhooks: undeclared webhooks remain: {sorted(left, key=str)}"


# --- the properties ---------------------------------------------------------------------------------


@pytest.fixture
def skilljar_run(tmp_path: Path) -> Iterator[Convergence]:
    with Convergence(SKILLJAR, tmp_path) as run:
        yield run


@pytest.mark.properties
@given(live=live_domains(), first=manifests(), second=manifests())
def test_skilljar_converges_from_any_domain(
    skilljar_run: Convergence,
    live: dict[str, Any],
    first: tuple[dict[str, str], dict[str, str]],
    second: tuple[dict[str, str], dict[str, str]],
) -> None:
    store = emulator_store(skilljar_run.app)  # type: ignore[arg-type]
    apply_in_turn(skilljar_run, live, (first, second), partial(assert_skilljar_holds, store))
