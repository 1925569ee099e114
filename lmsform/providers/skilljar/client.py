"""Skilljar's v1 REST API: one method per endpoint, dicts in and out, paths exactly as the spec has them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from lmsform.errors import ProviderError
from lmsform.providers.http import HttpClient

# The page size the vendor documents for these lists; a server may honour less, so we follow `next`.
LIST_PAGE_SIZE = 1000


def _segment(value: str) -> str:
    return quote(value, safe="")


class SkilljarClient:
    def __init__(self, http: HttpClient, domain: str) -> None:
        self.http = http
        self.domain = domain
        self._domain_path = f"/v1/domains/{_segment(domain)}"

    # Domains

    def get_domain(self) -> dict[str, Any]:
        body: dict[str, Any] = self.http.json("GET", self._domain_path, kind="domain", key=self.domain)
        return body

    # Domain users: a user's membership of this domain

    def list_domain_users(self) -> Iterator[dict[str, Any]]:
        return self.http.paginate(
            f"{self._domain_path}/users", params={"page_size": LIST_PAGE_SIZE}, kind="users"
        )

    def create_domain_user(self, user: Mapping[str, Any], *, active: bool, key: str) -> dict[str, Any]:
        """Adds the user to the domain; for a known e-mail, Skilljar returns the existing user unchanged."""
        body = {"user": dict(user), "active": active}
        created: dict[str, Any] = self.http.json(
            "POST", f"{self._domain_path}/users", json_body=body, kind="users", key=key
        )
        return created

    def update_domain_user(self, user_id: str, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        updated: dict[str, Any] = self.http.json(
            "PATCH",
            f"{self._domain_path}/users/{_segment(user_id)}",
            json_body=dict(fields),
            kind="users",
            key=key,
        )
        return updated

    # Global users: identity (e-mail, names) across all domains

    def update_user(self, user_id: str, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        updated: dict[str, Any] = self.http.json(
            "PATCH", f"/v1/users/{_segment(user_id)}", json_body=dict(fields), kind="users", key=key
        )
        return updated

    # Groups

    def list_groups(self) -> Iterator[dict[str, Any]]:
        return self.http.paginate("/v1/groups", params={"page_size": LIST_PAGE_SIZE}, kind="groups")

    def create_group(self, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        created: dict[str, Any] = self.http.json(
            "POST", "/v1/groups", json_body=dict(fields), kind="groups", key=key
        )
        return created

    def update_group(self, group_id: str, fields: Mapping[str, Any], *, key: str) -> dict[str, Any]:
        updated: dict[str, Any] = self.http.json(
            "PATCH", f"/v1/groups/{_segment(group_id)}", json_body=dict(fields), kind="groups", key=key
        )
        return updated

    def delete_group(self, group_id: str, *, key: str) -> None:
        self._delete(f"/v1/groups/{_segment(group_id)}", kind="groups", key=key)

    # Group membership

    def list_group_users(self, group_id: str) -> Iterator[dict[str, Any]]:
        return self.http.paginate(
            f"/v1/groups/{_segment(group_id)}/users", params={"page_size": LIST_PAGE_SIZE}, kind="memberships"
        )

    def add_group_user(self, group_id: str, user_id: str, *, key: str) -> dict[str, Any]:
        added: dict[str, Any] = self.http.json(
            "POST",
            f"/v1/groups/{_segment(group_id)}/users",
            json_body={"user": {"id": user_id}},
            kind="memberships",
            key=key,
        )
        return added

    def group_user_exists(self, group_id: str, user_id: str, *, key: str) -> bool:
        try:
            self.http.request(
                "GET",
                f"/v1/groups/{_segment(group_id)}/users/{_segment(user_id)}",
                kind="memberships",
                key=key,
            )
        except ProviderError as error:
            if error.status == 404:
                return False
            raise
        return True

    def remove_group_user(self, group_id: str, user_id: str, *, key: str) -> None:
        self._delete(
            f"/v1/groups/{_segment(group_id)}/users/{_segment(user_id)}", kind="memberships", key=key
        )

    def _delete(self, path: str, *, kind: str, key: str) -> None:
        """Delete; an object that is already gone counts as deleted (a retried DELETE answers 404)."""
        try:
            self.http.request("DELETE", path, kind=kind, key=key)
        except ProviderError as error:
            if error.status != 404:
                raise
