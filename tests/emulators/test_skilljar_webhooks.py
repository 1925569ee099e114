"""Webhooks in the Skilljar emulator; every 2xx exchange is checked against Skilljar's spec."""

from __future__ import annotations

from tests.emulators.vendors import OBJECT_ID, Emulator

HOOK_URL = "https://hooks.example.com/skilljar"


def test_webhook_create_read_and_defaults(emulator: Emulator) -> None:
    hook = emulator.created("/v1/webhooks", {"target_url": HOOK_URL})
    assert OBJECT_ID.fullmatch(hook["id"])
    assert hook == {
        "id": hook["id"],
        "target_url": HOOK_URL,
        "active": True,
        "deactivate_reason": None,
        "event_type": None,
        "basic_auth_username": "",
        "basic_auth_password": "",
        "additional_headers": {},
    }
    assert emulator.get(f"/v1/webhooks/{hook['id']}").json() == hook

    secured = emulator.created(
        "/v1/webhooks",
        {
            "target_url": HOOK_URL,  # duplicates are allowed
            "event_type": "COURSE_COMPLETION",
            "active": False,
            "basic_auth_username": "hook",
            "basic_auth_password": "s3cret",
            "additional_headers": {"X-Team": "lms"},
        },
    )
    # The password is echoed, as the spec's schema says (skilljar.md D23).
    assert secured["basic_auth_password"] == "s3cret"
    assert secured["additional_headers"] == {"X-Team": "lms"}
    assert [item["id"] for item in emulator.get("/v1/webhooks").json()["results"]] == [
        hook["id"],
        secured["id"],
    ]
    assert emulator.get("/v1/webhooks/nosuchhook12").status_code == 404


def test_invalid_webhook_bodies_are_rejected(emulator: Emulator) -> None:
    assert emulator.post("/v1/webhooks", json={}).json() == {"target_url": ["This field is required."]}
    for bad_url in (
        "not a url",
        "ftp://files.example.com/x",
        "https://",
        f"https://x.example.com/{'a' * 1024}",
    ):
        assert list(emulator.post("/v1/webhooks", json={"target_url": bad_url}).json()) == ["target_url"]
    assert emulator.post(
        "/v1/webhooks", json={"target_url": HOOK_URL, "event_type": "EVERYTHING"}
    ).json() == {"event_type": ['"EVERYTHING" is not a valid choice.']}
    assert emulator.post(
        "/v1/webhooks", json={"target_url": HOOK_URL, "additional_headers": "X: 1"}
    ).json() == {"additional_headers": ['Expected a dictionary of items but got type "str".']}
    assert emulator.post(
        "/v1/webhooks", json={"target_url": HOOK_URL, "additional_headers": {"X-Count": 1, "X-Ok": "y"}}
    ).json() == {"additional_headers": {"X-Count": ["Not a valid string."]}}
    assert emulator.state()["webhooks"] == []


def test_webhook_put_replaces_while_patch_updates(emulator: Emulator) -> None:
    hook = emulator.created(
        "/v1/webhooks",
        {
            "target_url": HOOK_URL,
            "event_type": "DOMAIN_ENROLLMENT",
            "active": False,
            "basic_auth_username": "hook",
            "basic_auth_password": "s3cret",
            "additional_headers": {"X-Team": "lms"},
        },
    )
    path = f"/v1/webhooks/{hook['id']}"

    patched = emulator.patch(path, json={"event_type": "PATH_ENROLLMENT"}).json()
    assert patched == {**hook, "event_type": "PATH_ENROLLMENT"}
    assert emulator.patch(path, json={"event_type": None}).json()["event_type"] is None

    # PUT is a full replacement: what it leaves out returns to the defaults, and `target_url` is required.
    assert emulator.put(path, json={"active": True}).json() == {"target_url": ["This field is required."]}
    replaced = emulator.put(path, json={"target_url": "https://other.example.com/hook"}).json()
    assert replaced == {
        "id": hook["id"],
        "target_url": "https://other.example.com/hook",
        "active": True,
        "deactivate_reason": None,
        "event_type": None,
        "basic_auth_username": "",
        "basic_auth_password": "",
        "additional_headers": {},
    }
    assert emulator.get(path).json() == replaced
    assert emulator.put("/v1/webhooks/nosuchhook12", json={"target_url": HOOK_URL}).status_code == 404


def test_webhook_ping_and_delete(emulator: Emulator) -> None:
    hook = emulator.created("/v1/webhooks", {"target_url": HOOK_URL})
    path = f"/v1/webhooks/{hook['id']}"

    ping = emulator.post(f"{path}/ping")
    assert ping.status_code == 200
    assert ping.json() == {"succeeded": True, "http_status_code": 200, "message": "OK"}
    assert emulator.get(f"{path}/ping").status_code == 405

    assert emulator.delete(path).status_code == 204
    assert emulator.get(path).status_code == 404
    assert emulator.delete(path).status_code == 404
    assert emulator.post(f"{path}/ping").status_code == 404
    assert emulator.get("/v1/webhooks").json()["count"] == 0
    assert emulator.get("/v1/webhooks?page=2").status_code == 404
