"""The rest of a page-numbered list, read in parallel once its first page has counted it.

A Django REST Framework list (`{count, next, previous, results}` with `next` ending in `page=2`) says
on its first page how many items there are and how many it serves per page, so pages 2..n can be
asked for at once instead of one `next` after another: the same requests, without waiting for each
in turn (Skilljar's 20,000 domain users are 20 pages, 20 round trips in a row otherwise).

Each page is asked for with the vendor's own `next` link, only its `page` changed. The pages must
add up: every page but the last as full as the first, the last holding the remainder, and each
repeating the first page's `count`. Otherwise the list changed while it was read (or the server
numbers its pages some other way), which is an error that says so rather than a silent gap.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from lmsform.providers.http import HttpClient

# Pages asked for ahead of the one being used, per thread: a `count` that lies costs a few requests.
_AHEAD_PER_THREAD = 2


def numbered_rest(body: dict[str, Any], next_url: str) -> list[str] | None:
    """The links of pages 2..n when the first page counts a page-numbered list; None when it does not
    (a cursor, no `count`, a `next` without `page=2`): the caller then follows `next` as usual."""
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
) -> Iterator[list[dict[str, Any]]]:
    """Pages 2..n in order, `client.parallelism` at a time, each checked to fit the first page's count."""
    workers = min(client.parallelism, len(links))
    ahead = workers * _AHEAD_PER_THREAD
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lmsform-pages") as pool:
        pending: list[Future[list[dict[str, Any]]]] = []
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
                    return
                yield pending.pop(0).result()
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
) -> list[dict[str, Any]]:
    response = client.request("GET", url, kind=kind)
    body = client.decode(response, kind=kind)
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        raise client.malformed(
            f"malformed list response: page {number} has no `results` list", response, kind=kind
        )
    following = body.get("next")
    if (following is None) != last or (not last and _page_number(following) != str(number + 1)):
        # A server that ignores `page` serves the first page again, whose `next` names page 2.
        raise client.malformed(
            f"malformed list response: pagination loops, page {number}'s `next` is {following!r}, "
            f"not {'none' if last else f'page {number + 1}'}",
            response,
            kind=kind,
        )
    if body.get("count") != count or len(results) != expected:
        raise client.malformed(
            f"the list changed while it was read: the first page counted {count} items, {expected} "
            f"due on page {number}, which counts {body.get('count')!r} and holds {len(results)}; "
            "run again",
            response,
            kind=kind,
        )
    return client.checked_items(results, item_fields, response, kind)


def _page_number(link: Any) -> str | None:
    if not isinstance(link, str):
        return None
    numbers = [value for name, value in parse_qsl(urlsplit(link).query) if name == "page"]
    return numbers[0] if len(numbers) == 1 else None
