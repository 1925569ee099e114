"""A domain's settings: `PUT` and `PATCH /v1/domains/{domain_name}` (skilljar.md Domain).

Both are partial (skilljar.md D15, D77): only the fields sent change. The fields and their checks are the
spec's `DomainRequest` and `PatchedDomainRequest`; `name`, `id` and `private` are read-only and, as in
DRF, ignored when sent.
"""

from __future__ import annotations

from lmsform.providers.emulation.sqlite import read_back
from lmsform.providers.skilljar.emulator.lookups import require_domain
from lmsform.providers.skilljar.emulator.people_store import DomainRecord
from lmsform.providers.skilljar.emulator.requests_in import (
    Field,
    Schema,
    choice,
    request_body,
    text,
    validate_object,
)
from lmsform.providers.skilljar.emulator.store import SkilljarStore

ACCESS_OPTIONS = ("PUBLIC", "PRIVATE", "PRIVATE_CODE")
DOMAIN_UPDATE: Schema = {
    "catalog_title": Field(text(allow_blank=False)),
    "access": Field(choice(ACCESS_OPTIONS)),
    "access_code_message_html": Field(text(allow_blank=False)),
    "marketing_message": Field(text()),
}


def update_domain(store: SkilljarStore, domain_name: str) -> DomainRecord:
    """The request's settings applied to the domain; the domain as it then is."""
    require_domain(store, domain_name)
    changes = validate_object(request_body(), DOMAIN_UPDATE)
    store.update_domain_settings(domain_name, changes)
    return read_back(store.get_domain(domain_name))
