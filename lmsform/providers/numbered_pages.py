"""The rest of a page-numbered list, read in parallel once its first page has counted it.

A Django REST Framework list (`{count, next, previous, results}` with `next` naming `page=2`) says
on its first page how many items there are and how many it serves per page, so pages 2..n can be
asked for at once instead of one `next` after another: the same requests, without waiting for each
in turn (Skilljar's 20,000 domain users are 20 pages, 20 round trips in a row otherwise).

Each page is asked for with the vendor's own `next` link, only its `page` changed. The pages must
fit the first: every page but the last as full as the first, the last holding the remainder, each
repeating the first page's `count` and linking to the page after it. When they do not, the list
changed while it was read (learners signing up, or Skilljar finishing a bulk create) or the server
numbers its pages some other way; the caller then reads it again by following `next`, as it would
have without this shortcut.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from lmsform.providers.http import HttpClient

log = logging.getLogger("lmsform.http")

# Pages asked for ahead of the one being checked, per thread: a `count` that lies costs a few requests.
_AHEAD_PER_THREAD = 2
Items = list[dict[str, Any]]


class _Misfit(Exception):
    """A page that does not fit what the first page said."""


def numbered_rest(body: dict[str, Any], next_url: str) -> list[str] | None:
    """The links of pages 2..n when the first page counts a page-numbered list; None when it does not
    (a cursor, no `count`, a `next` not naming page 2): the caller then follows `next` as usual."""
    count, served = body.get("count"), len(body["results"])
    if not isinstance(count, int) or isinstance(count, bool) or served == 0 or _page_number(next_url) != "2":
        return None
    total_pages = math.ceil(count / served)
    if total_pages < 2:
        return None
    parts = urlsplit(next_url)
    query = parse_qsl(parts.query, keep_blank_values=True)

    def link(number: int) -> str:
        numbered = [(name, str(number) if name == "page" else value) for name, value in query]
        return urlunsplit((*parts[:3], urlencode(numbered), parts.fragment))

    return [link(number) for number in range(2, total_pages + 1)]


def read_rest(
    client: HttpClient,
    links: Sequence[str],
    *,
    count: int,
    served: int,
    item_fields: Sequence[str],
    kind: str | None,
) -> list[Items] | None:
    """Pages 2..n in order, read `client.parallelism` at a time; None when one does not fit the first
    page's count (the caller reads the list again by following `next`)."""
    workers = min(client.parallelism, len(links))
    ahead = workers * _AHEAD_PER_THREAD
    pages: list[Items] = []
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lmsform-pages") as pool:
        pending: list[Future[Items]] = []
        queued = iter(enumerate(links, start=2))
        try:
            while True:
                while len(pending) < ahead and (item := next(queued, None)) is not None:
                    number, url = item
                    expected = min(served, count - served * (number - 1))
                    last = number == len(links) + 1
                    pending.append(
                        pool.submit(_page, client, url, count, expected, number, last, item_fields, kind)
                    )
                if not pending:
                    return pages
                pages.append(pending.pop(0).result())
        except _Misfit as misfit:
            log.info("%s; reading the list again, page by page", misfit)
            return None
        finally:
            for future in pending:
                future.cancel()


def _page(
    client: HttpClient,
    url: str,
    count: int,
    expected: int,
    number: int,
    last: bool,
    item_fields: Sequence[str],
    kind: str | None,
) -> Items:
    response = client.request("GET", url, kind=kind)
    body = client.decode(response, kind=kind)
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        raise client.malformed(
            f"malformed list response: page {number} has no `results` list", response, kind=kind
        )
    following = body.get("next")
    fits_the_numbering = (following is None) == last and (last or _page_number(following) == str(number + 1))
    if body.get("count") != count or len(results) != expected or not fits_the_numbering:
        raise _Misfit(
            f"{client.vendor}: page {number} of {client.shown(url)} does not fit the first page "
            f"(which counted {count} items): it counts {body.get('count')!r}, holds {len(results)} "
            f"of {expected} due, and its `next` is {'a link' if following else 'none'}"
        )
    return client.checked_items(results, item_fields, response, kind)


def _page_number(link: Any) -> str | None:
    if not isinstance(link, str):
        return None
    numbers = [value for name, value in parse_qsl(urlsplit(link).query) if name == "page"]
    return numbers[0] if len(numbers) == 1 else None
