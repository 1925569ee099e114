"""The title each live course will have once a plan is applied.

Paths, catalogue rules and sessions name courses by title, while Skilljar links them to the course
(or its publication) by id. When the manifests rename a course (`previously:`, or pinned by `id`),
those objects name it by its new title; reading the links under the old one would plan a path item
or a rule to be removed and added again, or a session to be made again (one can never be removed).
"""

from __future__ import annotations

from collections.abc import Mapping

from lmsform.kinds import COURSES, PUBLICATIONS, Key
from lmsform.state import State


def titles_after_renames(live: State, desired: State) -> dict[Key, str]:
    """Each live course's key → its title after the plan: a declared title stays, a former title a
    declaration lists under `previously:` becomes that declaration's (unless the new title is live
    too: then the rename is already done), and a course pinned by `id` takes the declared title."""
    declared = desired.of(COURSES.name)
    present = live.of(COURSES.name)
    renamed: dict[str, str] = {}
    pinned: dict[str, str] = {}
    for course in declared.values():
        if course.key not in present:
            for former in course.previously:
                renamed.setdefault(former[0], course.key[0])
        if course.ids.get("id"):
            pinned[course.ids["id"]] = course.key[0]
    titles: dict[Key, str] = {}
    for key, course in present.items():
        title = str(key[0])
        by_id = pinned.get(course.ids.get("id", ""))
        titles[key] = by_id or (title if key in declared else renamed.get(title, title))
    return titles


def publication_titles(live: State, course_titles: Mapping[Key, str]) -> dict[str, str]:
    """Each live publication's id → the title of its course after the plan."""
    return {
        publication.ids["id"]: course_titles.get(key, str(key[0]))
        for key, publication in live.of(PUBLICATIONS.name).items()
    }
