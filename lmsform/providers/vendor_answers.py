"""What a vendor's answer holds, in words: the vendor's own error message, a body that is not JSON,
the checks that an answer has the shape and the fields lmsform goes on with, and the error for an
item that turns out not to have them while it is taken apart (`malformed_items`).

Messages name fields and shapes, never values a page may echo back (those are masked).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import requests

from lmsform.errors import ProviderError
from lmsform.secrets import redact

_MESSAGE_LIMIT = 300


def vendor_message(response: requests.Response) -> str:
    """The vendor's own explanation of an error, in one line."""
    try:
        body = response.json()
    except ValueError:
        return f"{response.reason or 'error'}: {describe_body(response)}"
    return redact(_flatten(body))[:_MESSAGE_LIMIT]


def _flatten(body: Any) -> str:
    if isinstance(body, dict):
        if set(body) == {"detail"}:
            return str(body["detail"])
        return "; ".join(f"{field}: {_flatten(value)}" for field, value in body.items())
    if isinstance(body, list):
        return " ".join(_flatten(item) for item in body)
    return str(body)


def describe_body(response: requests.Response) -> str:
    """The body of an answer that is not JSON, in a few words (a page may echo the request: masked)."""
    return redact(_body_words(response))


def _body_words(response: requests.Response) -> str:
    content_type = response.headers.get("Content-Type", "no content type")
    if "html" in content_type.lower():
        title = re.search(r"<(title|h1)[^>]*>(.*?)</\1>", response.text, re.IGNORECASE | re.DOTALL)
        text = " ".join((title.group(2) if title else re.sub(r"<[^>]+>", " ", response.text)).split())
        return (
            f"an HTML page ({content_type}) {text[:120]!r}"
            if text
            else f"an empty HTML page ({content_type})"
        )
    text = " ".join(response.text.split())[:120]
    return f"{content_type} body {text!r}" if text else f"{content_type}, empty body"


def invalid_json(error: ValueError, response: requests.Response) -> str:
    """What is wrong with a body that claims to be JSON: cut short, or not JSON at all."""
    position = getattr(error, "pos", None)
    reason = str(getattr(error, "msg", error))
    length = len(response.text)
    if reason.startswith("Unterminated") or (
        isinstance(position, int) and position >= len(response.text.rstrip())
    ):
        return f"the JSON is cut short after {length} characters"
    where = f" at character {position}" if isinstance(position, int) else ""
    return f"invalid JSON{where} ({reason})"


def shape_of(value: Any) -> str:
    """What a JSON value is, in words, for errors: `an object (keys: a, b)`, `a list`, `null`."""
    if isinstance(value, dict):
        keys = ", ".join(list(map(str, value))[:5]) + (", …" if len(value) > 5 else "")
        return f"an object (keys: {keys})" if value else "an empty object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    return "a number" if isinstance(value, int | float) else "a string"


def _lookup(item: Any, field: str) -> Any:
    for part in field.split("."):
        item = item.get(part) if isinstance(item, dict) else None
    return item


def missing_fields(body: Any, fields: Sequence[str]) -> str | None:
    """Why `body` is not an object holding `fields` (not null), or None when it is."""
    if not isinstance(body, dict):
        return f"expected an object, got {shape_of(body)}"
    absent = [field for field in fields if _lookup(body, field) is None]
    return f"no {', '.join(f'`{field}`' for field in absent)} in the answer" if absent else None


def item_fields_missing(items: Any, fields: Sequence[str]) -> str | None:
    """Why `items` is not a list of objects holding `fields`, or None when it is."""
    if not isinstance(items, list):
        return f"expected a list, got {shape_of(items)}"
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            return f"item {position} is {shape_of(item)}, not an object"
        absent = [field for field in fields if _lookup(item, field) is None]
        if absent:
            return f"item {position} has no {', '.join(f'`{field}`' for field in absent)}"
    return None


@contextmanager
def malformed_items(vendor: str, *, item: str = "an item", kind: str | None = None) -> Iterator[None]:
    """Taking a vendor's items apart: a field missing or of the wrong type (a KeyError, TypeError,
    AttributeError or ValueError) is a ProviderError saying the answer is malformed, not a traceback."""
    try:
        yield
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise ProviderError(
            vendor=vendor, message=f"malformed response: {item} lacks or mistypes {error}", kind=kind
        ) from None
