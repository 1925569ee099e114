"""Finding what a request names, or answering the error the API gives when it is not there."""

from __future__ import annotations

from lmsform.providers.skilljar.emulator.errors import field_error, not_found
from lmsform.providers.skilljar.emulator.people_store import DomainRecord, GroupRecord, UserRecord
from lmsform.providers.skilljar.emulator.store import SkilljarStore

NOT_A_MEMBER = "User is not a member of this domain."


def require_domain(store: SkilljarStore, domain_name: str) -> DomainRecord:
    domain = store.get_domain(domain_name)
    if domain is None:
        raise not_found()
    return domain


def require_group(store: SkilljarStore, group_id: str) -> GroupRecord:
    group = store.get_group(group_id)
    if group is None:
        raise not_found()
    return group


def referenced_member(store: SkilljarStore, domain_name: str, user_id: str) -> UserRecord:
    """The user a body's `user: {id}` names, who must be on the domain (400 on `user` otherwise)."""
    user = store.get_user(user_id)
    if user is None:
        raise field_error("user", "Invalid user id.")
    if store.get_domain_user(domain_name, user_id) is None:
        raise field_error("user", NOT_A_MEMBER)
    return user
