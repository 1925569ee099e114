"""URL slugs: the spec's two slug patterns, and slugs made from titles."""

from __future__ import annotations

import re
import unicodedata

SLUG_MAX_LENGTH = 100
# A published course's slug needs at least two words; a path's or a plan's may be one word.
COURSE_SLUG_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)+")
SLUG_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def slug_words(title: str) -> list[str]:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.findall(r"[a-z0-9]+", ascii_title.lower())


def slug_from(title: str, *, fallback: str) -> str:
    """`Intro to Python!` → `intro-to-python`; `fallback` when the title has no letters or digits."""
    slug = "-".join(slug_words(title))[:SLUG_MAX_LENGTH].rstrip("-")
    return slug or fallback


def course_slug_from(title: str) -> str:
    """A slug that matches the published-course pattern: a one-word title gets `-course` added."""
    slug = slug_from(title, fallback="course")
    if COURSE_SLUG_PATTERN.fullmatch(slug):
        return slug
    return f"{slug.split('-')[0][: SLUG_MAX_LENGTH - len('-course')]}-course"
