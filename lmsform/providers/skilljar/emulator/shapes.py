"""Response shapes more than one area uses (spec schema names in the function names)."""

from __future__ import annotations

from typing import Any

from lmsform.providers.skilljar.emulator.people_store import UserRecord


def read_only_user_json(user: UserRecord) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "first_name": user.first_name, "last_name": user.last_name}


def domain_url(domain_name: str, *segments: str) -> str:
    return "/".join((f"https://{domain_name}", *segments))


def offer_json(domain_name: str, offer_id: str) -> dict[str, Any]:
    """The default Offer every publication, path and plan gets: free, registration open."""
    return {
        "id": offer_id,
        "registration_open": True,
        "registration_url": domain_url(domain_name, "checkout", offer_id),
        "price": {"amount": "0.00", "currency_code": "USD"},
    }
