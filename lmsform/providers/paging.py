"""Every way the vendors page their lists, and the one bounded read-ahead for pages known in advance.

- `follow_next`: lists linking to their next page (Skilljar): a Django REST Framework page envelope
  `{count, next, previous, results}`, a cursor envelope `{next, results}`, or a bare array (the whole
  list). A page-numbered list counts its items on its first page, so its pages 2..n are read ahead.
- `offset_pages`: an offset and a size in the query, counted by `meta.totalResultCount` (Damstra).
- `limit_offset_list`: a limit and an offset, counted by `count`; pages after the first are read
  ahead (Training Records).
- `header_numbered_pages`: numbered pages whose position comes back in headers (Versal).

Every style checks that its pages add up to the count they gave and that paging ends, so a list
that changed while it was read, or a server that lies, is an error rather than a list cut short
or read forever. `read_ahead` is the one way pages are read in parallel: at most `workers` in
flight and twice that asked for ahead of the page in use, so a count that lies costs a few requests.
"""

from __future__ import annotations

import json
import logging
import math
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import islice
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests

from lmsform.errors import ProviderError
from lmsform.providers.http import HttpClient
from lmsform.providers.vendor_answers import item_fields_missing, shape_of

log = logging.getLogger("lmsform.http")

Item = dict[str, Any]
Items = list[Item]
Position = TypeVar("Position")
Fetched = TypeVar("Fetched")
# Pages asked for ahead of the one in use, per worker: a `count` that lies costs a few requests.
_AHEAD_PER_WORKER = 2
# More pages than this are read only if the list is enormous or its paging headers lie.
MAX_NUMBERED_PAGES = 100_000


def read_ahead(
    fetch: Callable[[Position], Fetched], positions: Iterable[Position], *, workers: int
) -> Iterator[Fetched]:
    """`fetch` of each position, in order, `workers` at a time. No more are asked for than are about
    to be used; when the reader stops (an error, a page that does not fit), pages not begun never are."""
    upcoming = iter(positions)
    ahead = max(workers, 1) * _AHEAD_PER_WORKER
    with ThreadPoolExecutor(max_workers=max(workers, 1), thread_name_prefix="lmsform-pages") as pool:
        waiting: deque[Future[Fetched]] = deque(
            pool.submit(fetch, position) for position in islice(upcoming, ahead)
        )
        try:
            while waiting:
                fetched = waiting.popleft().result()
                waiting.extend(pool.submit(fetch, position) for position in islice(upcoming, 1))
                yield fetched
        finally:
            for future in waiting:
                future.cancel()


def checked_items(
    http: HttpClient, items: Any, fields: Sequence[str], response: requests.Response, kind: str | None
) -> Items:
    """The items of a page: a list of objects holding `fields`; else a malformed-list error."""
    problem = item_fields_missing(items, fields)
    if problem is not None:
        raise http.malformed(f"malformed list response: {problem}", response, kind=kind)
    checked: Items = items
    return checked


# --- next links ---------------------------------------------------------------------------------------


def follow_next(
    http: HttpClient,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    kind: str | None = None,
    item_fields: Sequence[str] = (),
) -> Iterator[Item]:
    """Every item of a list, following `next` links until there are none.

    Every item must be an object holding `item_fields`. A list whose pages hold more or fewer items
    than the last `count` they gave is an error, whichever way its pages were read.
    """
    url: str | None = path
    query = params
    seen: set[str] = set()
    read = 0
    counted: int | None = None  # the latest `count` a page gave
    response: requests.Response | None = None
    while url is not None:
        page_id = url + json.dumps(query, sort_keys=True, default=str)
        if page_id in seen:
            raise ProviderError(
                vendor=http.vendor,
                message="malformed list response: pagination loops, `next` points to a page already read",
                method="GET",
                path=http.shown(url, query),
                kind=kind,
            )
        seen.add(page_id)
        response = http.request("GET", url, params=query, kind=kind)
        body = http.decode(response, kind=kind)
        if isinstance(body, list):
            if len(seen) > 1:
                # A bare array is a whole list: as a later page it would end the read before the
                # first page's `count` is checked.
                raise http.malformed(
                    f"malformed list response: page {len(seen)} is a bare JSON array (the shape of a "
                    "whole list), after a page that linked to it",
                    response,
                    kind=kind,
                )
            yield from checked_items(http, body, item_fields, response, kind)
            return
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise http.malformed(
                f"malformed list response: expected a list, or an object with a `results` list; "
                f"got {shape_of(body)}",
                response,
                kind=kind,
            )
        items = checked_items(http, body["results"], item_fields, response, kind)
        read += len(items)
        counted = _count(body.get("count"), counted)
        yield from items
        url = _next_link(http, body.get("next"), kind=kind, page=response)
        query = None  # `next` carries the query of the following page
        rest = _numbered_rest(body, url) if url is not None and len(seen) == 1 else None
        if rest is not None:
            pages = _read_numbered(
                http, rest, count=body["count"], served=len(items), item_fields=item_fields, kind=kind
            )
            if pages is not None:
                for page in pages:
                    read += len(page)
                    yield from page
                url = None
    _check_count(http, read, counted, response, kind=kind)


def _next_link(http: HttpClient, next_url: Any, *, kind: str | None, page: requests.Response) -> str | None:
    if next_url in (None, ""):
        return None
    if not isinstance(next_url, str):
        raise http.malformed(
            f"malformed list response: `next` is {shape_of(next_url)}, not a link", page, kind=kind
        )
    own = http.on_own_origin(next_url)
    if own is None:
        raise http.malformed(
            f"refusing to follow a `next` link to another host ({urlsplit(next_url).netloc})", page, kind=kind
        )
    return own


# A Django REST Framework list (`{count, next, previous, results}` with `next` naming `page=2`) says
# on its first page how many items there are and how many it serves per page, so pages 2..n are
# asked for at once instead of one `next` after another: the same requests, without waiting for each
# in turn (Skilljar's 20,000 domain users are 20 pages, 20 round trips in a row otherwise).
#
# Each page is asked for with the vendor's own `next` link, only its `page` changed. The pages must
# fit the first: every page but the last as full as the first, the last holding the remainder, each
# repeating the first page's `count` and linking to the page after it. When they do not, the list
# changed while it was read (learners signing up, or Skilljar finishing a bulk create) or the server
# numbers its pages some other way; the list is then read again by following `next`, as it would
# have been without this shortcut.


class _Misfit(Exception):
    """A page that does not fit what the first page said."""


def _numbered_rest(body: dict[str, Any], next_url: str) -> list[str] | None:
    """The links of pages 2..n when the first page counts a page-numbered list; None when it does not
    (a cursor, no `count`, a `next` not naming page 2): `next` is then followed as usual."""
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


def _read_numbered(
    http: HttpClient,
    links: Sequence[str],
    *,
    count: int,
    served: int,
    item_fields: Sequence[str],
    kind: str | None,
) -> list[Items] | None:
    """Pages 2..n in order, read ahead; None when one does not fit the first page's count (the list
    is then read again by following `next`)."""

    def page(numbered: tuple[int, str]) -> Items:
        number, url = numbered
        expected = min(served, count - served * (number - 1))
        last = number == len(links) + 1
        return _numbered_page(http, url, count, expected, number, last, item_fields, kind)

    try:
        return list(read_ahead(page, enumerate(links, start=2), workers=http.parallelism))
    except _Misfit as misfit:
        log.info("%s; reading the list again, page by page", misfit)
        return None


def _numbered_page(
    http: HttpClient,
    url: str,
    count: int,
    expected: int,
    number: int,
    last: bool,
    item_fields: Sequence[str],
    kind: str | None,
) -> Items:
    response = http.request("GET", url, kind=kind)
    body = http.decode(response, kind=kind)
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list):
        raise http.malformed(
            f"malformed list response: page {number} has no `results` list", response, kind=kind
        )
    following = body.get("next")
    fits_the_numbering = (following is None) == last and (last or _page_number(following) == str(number + 1))
    if body.get("count") != count or len(results) != expected or not fits_the_numbering:
        raise _Misfit(
            f"{http.vendor}: page {number} of {http.shown(url)} does not fit the first page "
            f"(which counted {count} items): it counts {body.get('count')!r}, holds {len(results)} "
            f"of {expected} due, and its `next` is {'a link' if following else 'none'}"
        )
    return checked_items(http, results, item_fields, response, kind)


def _page_number(link: Any) -> str | None:
    if not isinstance(link, str):
        return None
    numbers = [value for name, value in parse_qsl(urlsplit(link).query) if name == "page"]
    return numbers[0] if len(numbers) == 1 else None


# --- an offset and a size in the query ----------------------------------------------------------------


def offset_pages(
    http: HttpClient,
    path: str,
    *,
    params: Mapping[str, Any] | None = None,
    size: int = 100,
    start_param: str = "startIndex",
    size_param: str = "maxResults",
    kind: str | None = None,
    item_fields: Sequence[str] = (),
) -> Iterator[Item]:
    """Every item of an offset-paged list (`{results, meta: {totalResultCount}}`).

    Advances by the number of items actually received (a server may clamp the page size); stops at
    an empty page, at `meta.totalResultCount`, or, without `meta`, at a short page. A page that
    repeats an earlier one (a server ignoring the offset), or a list that ends before the count it
    promised or holds more, is an error rather than a list read forever or cut short.
    """
    start = 0
    total: int | None = None  # the latest count a page gave
    firsts: set[str] = set()  # each page's first item: items are distinct, so a repeat is a loop
    while True:
        query = {**(params or {}), start_param: start, size_param: size}
        response = http.request("GET", path, params=query, kind=kind)
        body = http.decode(response, kind=kind)
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise http.malformed(
                f"malformed list response: expected an object with a `results` list; got {shape_of(body)}",
                response,
                kind=kind,
            )
        meta = body.get("meta")
        total = _count(meta.get("totalResultCount") if isinstance(meta, dict) else None, total)
        if results:
            first = json.dumps(results[0], sort_keys=True, default=str)
            if first in firsts:
                raise http.malformed(
                    f"malformed list response: pagination loops, the page at {start_param}={start} "
                    "repeats an earlier page",
                    response,
                    kind=kind,
                )
            firsts.add(first)
        elif total is not None and start < total:
            raise http.malformed(
                f"malformed list response: `totalResultCount` is {total}, but the list ended after "
                f"{start} item(s) (it changed while it was read, or the count is wrong): run again",
                response,
                kind=kind,
            )
        yield from checked_items(http, results, item_fields, response, kind)
        start += len(results)
        if total is not None and start > total:
            raise http.malformed(
                f"malformed list response: `totalResultCount` is {total}, but the pages held {start} "
                "items or more (the list changed while it was read, or the count is wrong): run again",
                response,
                kind=kind,
            )
        if not results or (total is not None and start >= total) or (total is None and len(results) < size):
            return


# --- a limit and an offset, counted by `count` -----------------------------------------------------------


def limit_offset_list(
    fetch_at: Callable[[int], Any],
    take_apart: Callable[[Any, int], tuple[Items, int | None]],
    *,
    workers: int,
    malformed: Callable[[str], ProviderError],
    identity: Callable[[Item], str],
    noun: str,
) -> Items:
    """Every item of a list read by offset: `fetch_at(offset)` answers a page, `take_apart(page, offset)`
    its items and the size of the whole list when the page says it (None: the page is the whole list).

    A list that does not add up is an error, not a list cut short or read forever: a page that is
    empty before `count` is reached, an item on two pages (`identity` tells them apart; a server
    ignoring the offset), or pages holding more or fewer items than `count`. `noun` names an item.
    """
    items, total = take_apart(fetch_at(0), 0)
    seen = _Distinct(identity, malformed, noun)
    seen.add(items)
    if total is None or len(items) >= total:
        return items
    if not items:
        raise malformed(f"the first page is empty, but `count` is {total}")
    # A server may serve fewer than asked per page; the first page says how many it does.
    size = len(items)
    pages = read_ahead(lambda offset: (offset, fetch_at(offset)), range(size, total, size), workers=workers)
    for offset, page in pages:
        more, _ = take_apart(page, offset)
        if not more:
            raise malformed(
                f"`count` is {total}, but the page at offset {offset} is empty "
                f"({noun}s changed while they were read, or the count is wrong: run again)"
            )
        seen.add(more)
        items.extend(more)
    if len(items) != total:
        raise malformed(
            f"`count` is {total} but the pages held {len(items)} {noun}s "
            f"({noun}s changed while they were read: run again)"
        )
    return items


class _Distinct:
    """The items read so far: an item on two pages is an error, not a duplicate."""

    def __init__(
        self, identity: Callable[[Item], str], malformed: Callable[[str], ProviderError], noun: str
    ) -> None:
        self._identity = identity
        self._malformed = malformed
        self._noun = noun
        self._ids: set[str] = set()

    def add(self, items: Items) -> None:
        for item in items:
            identity = self._identity(item)
            if identity in self._ids:
                raise self._malformed(
                    f"pagination loops, {self._noun} {identity} is on two pages (the server ignores "
                    f"`offset`, or {self._noun}s changed while they were read: run again)"
                )
            self._ids.add(identity)


# --- numbered pages positioned by headers ----------------------------------------------------------------

# One numbered page: its items and the answer that held them (whose headers place it in its list).
NumberedPage = tuple[Items, requests.Response]
# How the pages after the first are read when the first counts them: `read_ahead` with its workers
# bound, or any function of that shape (a fetch and the page numbers; the pages, in order).
Spread = Callable[[Callable[[int], NumberedPage], Iterable[int]], Iterator[NumberedPage]]


def reading_ahead(workers: int) -> Spread:
    """`read_ahead` over `workers`, as a `Spread`."""

    def spread(fetch: Callable[[int], NumberedPage], numbers: Iterable[int]) -> Iterator[NumberedPage]:
        return read_ahead(fetch, numbers, workers=workers)

    return spread


@dataclass(frozen=True)
class PageInfo:
    page: int | None
    page_count: int | None
    next_page: int | None
    per_page: int | None
    items: int | None = None  # `count`: how many items the whole list holds

    def is_last(self) -> bool:
        """Done when there is no next page, or this page is the last counted."""
        if self.next_page is None:
            return True
        return self.page is not None and self.page_count is not None and self.page >= self.page_count


def page_info(headers: Mapping[str, str]) -> PageInfo | None:
    """Where a page sits in its list, from one `X-Pagination` JSON header or four separate `count`,
    `page`, `pageCount`, `perPage` headers; None when the answer has neither."""
    combined = headers.get("X-Pagination")
    if combined:
        try:
            data = json.loads(combined)
        except ValueError:
            data = None
        if isinstance(data, dict):
            page, count = _int(data.get("page")), _int(data.get("pageCount"))
            following, per_page = _int(data.get("nextPage")), _int(data.get("perPage"))
            return PageInfo(page, count, following, per_page, _int(data.get("count")))
    page, count = _int(headers.get("page")), _int(headers.get("pageCount"))
    if page is None and count is None:
        return None
    following = page + 1 if page is not None and count is not None and page < count else None
    return PageInfo(page, count, following, _int(headers.get("perPage")), _int(headers.get("count")))


def header_numbered_pages(
    http: HttpClient,
    fetch: Callable[[int], NumberedPage],
    *,
    path: str,
    page_size: int,
    kind: str,
    spread: Spread | None = None,
) -> Iterator[Item]:
    """Every item of a numbered list (`fetch(number)` answers a page), page by page, until the
    headers say it was the last. With `spread`, the pages after the first are read with it when the
    first page's headers count them. Pages that hold more or fewer items than the latest `count`
    their headers gave are an error, however the pages were read."""
    read = 0
    counted: int | None = None
    last: requests.Response | None = None
    answers = _numbered_answers(http, fetch, path=path, page_size=page_size, kind=kind, spread=spread)
    for items, response in answers:
        info = page_info(response.headers)
        read += len(items)
        counted = info.items if info is not None and info.items is not None else counted
        last = response
        yield from items
    _check_count(http, read, counted, last, kind=kind)


def _check_count(
    http: HttpClient, read: int, counted: int | None, last: requests.Response | None, *, kind: str | None
) -> None:
    """A list whose pages held another number of items than the latest `count` it gave is an error."""
    if last is not None and counted is not None and read != counted:
        raise http.malformed(
            f"malformed list response: `count` is {counted}, but the pages held {read} item(s) "
            "(the list changed while it was read, or the count is wrong): run again",
            last,
            kind=kind,
        )


def _numbered_answers(
    http: HttpClient,
    fetch: Callable[[int], NumberedPage],
    *,
    path: str,
    page_size: int,
    kind: str,
    spread: Spread | None,
) -> Iterator[NumberedPage]:
    page = 1
    for _ in range(MAX_NUMBERED_PAGES):
        items, response = fetch(page)
        yield items, response
        info = page_info(response.headers)
        if not items or (info is None and len(items) < page_size):
            return
        if info is not None and info.is_last():
            return
        following = info.next_page if info is not None and info.next_page is not None else page + 1
        if following <= page:
            raise http.malformed(
                f"malformed list response: pagination loops, the next page ({following}) is not after "
                f"page {page}",
                response,
                kind=kind,
            )
        counted = info.page_count if info is not None else None
        if spread is not None and (page, following) == (1, 2) and counted and counted <= MAX_NUMBERED_PAGES:
            yield from spread(fetch, range(2, counted + 1))
            return
        page = following
    raise ProviderError(
        vendor=http.vendor,
        message="malformed list response: pagination does not end",
        method="GET",
        path=path,
        kind=kind,
    )


def _count(value: Any, previous: int | None) -> int | None:
    """A page's `count` when it is a number, else the one an earlier page gave."""
    return value if isinstance(value, int) and not isinstance(value, bool) else previous


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None
