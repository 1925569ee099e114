"""Direct calls to a Skilljar emulator, independent of lmsform: to set up live state and to check it."""

from __future__ import annotations

from typing import Any

import requests

from tests.conftest import CANARY_KEY, DOMAIN


class SkilljarApi:
    def __init__(self, base_url: str, domain: str = DOMAIN) -> None:
        self.base_url = base_url
        self.domain = domain
        self.session = requests.Session()
        self.session.auth = (CANARY_KEY, "")

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, self.base_url + path, timeout=10, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def _all(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url: str | None = self.base_url + path
        while url:
            page = self.session.get(url, timeout=10).json()
            items.extend(page["results"])
            url = page["next"]
        return items

    def add_user(self, email: str, first: str = "", last: str = "", *, active: bool = True) -> str:
        body = {"user": {"email": email, "first_name": first, "last_name": last}, "active": active}
        created = self._call("POST", f"/v1/domains/{self.domain}/users", json=body)
        return str(created["user"]["id"])

    def add_group(self, name: str) -> str:
        return str(self._call("POST", "/v1/groups", json={"name": name})["id"])

    def add_member(self, group_id: str, user_id: str) -> None:
        self._call("POST", f"/v1/groups/{group_id}/users", json={"user": {"id": user_id}})

    def users(self) -> dict[str, dict[str, Any]]:
        """Domain users by lower-cased e-mail: names and active flag."""
        return {
            item["user"]["email"].lower(): {
                "first_name": item["user"]["first_name"],
                "last_name": item["user"]["last_name"],
                "active": item["active"],
            }
            for item in self._all(f"/v1/domains/{self.domain}/users")
        }

    def groups(self) -> dict[str, set[str]]:
        """Groups by name, with their members' lower-cased e-mails."""
        return {
            group["name"]: {
                member["user"]["email"].lower() for member in self._all(f"/v1/groups/{group['id']}/users")
            }
            for group in self._all("/v1/groups")
        }
