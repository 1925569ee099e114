"""Where credentials may go. The trusted side (the environment) decides, not the manifests.

A pull request can edit `base_url`, so the API key must not follow it to a host the author controls.
Credentials go to the vendor's official origin, to a loopback IP literal (the emulators and the
sandbox), or to an origin that the environment lists in LMSFORM_ALLOWED_ORIGINS.

A name is never loopback, `localhost` included: what a name resolves to is up to resolvers and
proxies (some send `localhost` on to DNS, and a proxy resolves it on its own machine). The emulators
print 127.0.0.1 URLs, so nothing needs the name. A team that wants it lists the origin.

URLs are judged and used in one canonical form (WHATWG's, as pydantic writes it). Otherwise a URL
that two parsers read differently could be judged by one host and sent to another.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from pydantic import HttpUrl, TypeAdapter

ALLOWED_ORIGINS_VARIABLE = "LMSFORM_ALLOWED_ORIGINS"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.IPv6Address("::1")
_HTTP_URL: TypeAdapter[HttpUrl] = TypeAdapter(HttpUrl)


def canonical_url(text: str) -> str:
    """`text` as an http(s) URL in canonical form, without a trailing slash. Raises ValueError when
    it is not an API root: it must have no user name or password, query or fragment."""
    url = _HTTP_URL.validate_python(text)
    if url.username is not None or url.password is not None:
        raise ValueError("must not hold a user name or password: credentials come from their own settings")
    if url.query is not None or url.fragment is not None:
        raise ValueError("must be an API root, with no `?` query or `#` fragment")
    return str(url).rstrip("/")


def origin(url: str) -> str:
    """The origin of an http(s) URL: scheme, host and the port when it is not the scheme's default."""
    parsed = _HTTP_URL.validate_python(url)
    port = "" if parsed.port == _DEFAULT_PORTS.get(parsed.scheme) else f":{parsed.port}"
    return f"{parsed.scheme}://{parsed.host}{port}"


def is_loopback_literal(url: str) -> bool:
    """The URL's host is an IP address of this machine (127.0.0.0/8 or ::1), written as one."""
    host = (_HTTP_URL.validate_python(url).host or "").removeprefix("[").removesuffix("]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return address in _LOOPBACK_V4
    return address == _LOOPBACK_V6


def allowed_origins(environ: Mapping[str, str]) -> frozenset[str]:
    """The origins listed in LMSFORM_ALLOWED_ORIGINS (comma-separated). Raises ValueError that names
    an entry that is not an origin."""
    found: set[str] = set()
    for entry in (part.strip() for part in environ.get(ALLOWED_ORIGINS_VARIABLE, "").split(",")):
        if not entry:
            continue
        try:
            is_origin = canonical_url(entry) == origin(entry)
        except ValueError:  # pydantic's ValidationError is one
            is_origin = False
        if not is_origin:
            raise ValueError(
                f"{ALLOWED_ORIGINS_VARIABLE}: {entry!r} is not an origin: write scheme and host, and the "
                "port if it is not the default, e.g. https://eu.example.com or https://lms.example.com:8443"
            )
        found.add(origin(entry))
    return frozenset(found)
