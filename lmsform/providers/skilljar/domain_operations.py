"""The domain's settings → Skilljar API calls: one PATCH with the changed fields (skilljar.md Domain).

The domain always exists (the reader stops when it does not), so its settings are only ever updated;
a field the manifests leave out is left as it is (skilljar.md D75).
"""

from __future__ import annotations

from collections.abc import Mapping

from lmsform.kinds import DOMAIN
from lmsform.plan import Action, Change
from lmsform.providers.base import ApplyContext, Operation
from lmsform.providers.skilljar.client import SkilljarClient
from lmsform.providers.skilljar.reader import DOMAIN_FIELDS


def update_domain_settings(client: SkilljarClient, change: Change, context: ApplyContext) -> None:
    after = change.after or {}
    body = {DOMAIN_FIELDS[name]: after[name] for name in change.changed}
    client.update_domain(body, key=change.address)


DOMAIN_OPERATIONS: Mapping[tuple[str, Action], Operation[SkilljarClient]] = {
    (DOMAIN.name, Action.UPDATE): update_domain_settings,
}
