"""Enrollments in published courses, published paths and plans, which behave alike
(skilljar.md Enrollments); every 2xx exchange is checked against Skilljar's spec."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.emulators.vendors import DOMAIN, OBJECT_ID, OTHER_DOMAIN, TIMESTAMP, Emulator

ENROLLED_AT = "2030-01-02T03:04:05.000000Z"


def _course_enrollments(emulator: Emulator, domain: str) -> str:
    course = emulator.create_course(f"Course on {domain}")
    publication = emulator.publish(course["id"], domain=domain)
    return f"/v1/domains/{domain}/published-courses/{publication['id']}/enrollments"


def _path_enrollments(emulator: Emulator, domain: str) -> str:
    published = emulator.publish_path("learning-path", "Learning path", domain=domain)
    return f"/v1/domains/{domain}/published-paths/{published['id']}/published-path-enrollments"


def _plan_enrollments(emulator: Emulator, domain: str) -> str:
    plan_id = emulator.seed({"plans": [{"domain": domain, "name": "All Access"}]})["plans"][0]["id"]
    return f"/v1/domains/{domain}/plan/{plan_id}/plan-enrollments"


EnrollmentsOn = Callable[[Emulator, str], str]
KINDS = pytest.mark.parametrize(
    "enrollments_on",
    [_course_enrollments, _path_enrollments, _plan_enrollments],
    ids=["course", "path", "plan"],
)


@KINDS
def test_enrollment_create_read_and_shape(emulator: Emulator, enrollments_on: EnrollmentsOn) -> None:
    collection = enrollments_on(emulator, DOMAIN)
    user = emulator.add_domain_user("ada@example.com", first_name="Ada")["user"]

    created = emulator.created(
        collection,
        {"user": {"id": user["id"]}, "enrolled_at": ENROLLED_AT, "expires_at": "2031-01-01T00:00:00Z"},
    )
    assert OBJECT_ID.fullmatch(created["id"])
    expected = {
        "id": created["id"],
        "user": {"id": user["id"], "email": "ada@example.com", "first_name": "Ada", "last_name": ""},
        "enrolled_at": ENROLLED_AT,
        "expires_at": "2031-01-01T00:00:00.000000Z",
        "active": True,
    }
    if "/published-courses/" in collection:
        expected.update(rating=None, feedback=None)  # only course enrollments carry these
    assert created == expected
    assert emulator.get(f"{collection}/{created['id']}").json() == created
    listing = emulator.get(collection).json()
    assert listing["count"] == 1 and listing["results"] == [created]
    assert emulator.get(f"{collection}/nosuchenroll1").status_code == 404


@KINDS
def test_enrollment_create_is_idempotent_on_user_and_instant(
    emulator: Emulator, enrollments_on: EnrollmentsOn
) -> None:
    collection = enrollments_on(emulator, DOMAIN)
    alice = emulator.member_id("alice@example.com")
    bob = emulator.member_id("bob@example.com")

    first = emulator.created(collection, {"user": {"id": alice}, "enrolled_at": "2030-01-02T03:04:05Z"})
    # The same instant written three ways is the same key; a replay answers the existing enrollment.
    for same_instant in ("2030-01-02T03:04:05.000000Z", "2030-01-02T04:04:05+01:00"):
        replay = emulator.created(
            collection, {"user": {"id": alice}, "enrolled_at": same_instant, "active": False}
        )
        assert replay == first
    other_user = emulator.created(collection, {"user": {"id": bob}, "enrolled_at": ENROLLED_AT})
    other_time = emulator.created(collection, {"user": {"id": alice}, "enrolled_at": "2030-01-02T03:04:06Z"})
    assert len({first["id"], other_user["id"], other_time["id"]}) == 3

    # Without `enrolled_at` the server stamps now, so every call makes another enrollment.
    stamped = [emulator.created(collection, {"user": {"id": alice}}) for _ in range(2)]
    assert stamped[0]["id"] != stamped[1]["id"]
    assert all(TIMESTAMP.fullmatch(item["enrolled_at"]) for item in stamped)
    assert emulator.get(collection).json()["count"] == 5


@KINDS
def test_only_members_of_the_domain_can_be_enrolled(
    emulator: Emulator, enrollments_on: EnrollmentsOn
) -> None:
    collection = enrollments_on(emulator, DOMAIN)
    outsider = emulator.member_id("outsider@example.com", domain=OTHER_DOMAIN)
    inactive = emulator.member_id("inactive@example.com", active=False)

    assert emulator.post(collection, json={"user": {"id": outsider}}).json() == {
        "user": ["User is not a member of this domain."]
    }
    assert emulator.post(collection, json={"user": {"id": "nosuchuser12"}}).json() == {
        "user": ["Invalid user id."]
    }
    assert emulator.post(collection, json={"user": {}}).json() == {
        "user": {"id": ["This field is required."]}
    }
    assert emulator.post(collection, json={}).json() == {"user": ["This field is required."]}
    assert emulator.created(collection, {"user": {"id": inactive}})["active"] is True  # inactive members may
    assert emulator.get(collection).json()["count"] == 1
    assert emulator.get(f"/v1/domains/{DOMAIN}/users/{outsider}").status_code == 404  # nothing joined


@KINDS
def test_enrollment_updates_touch_only_active_and_expiry(
    emulator: Emulator, enrollments_on: EnrollmentsOn
) -> None:
    collection = enrollments_on(emulator, DOMAIN)
    user_id = emulator.member_id("upd@example.com")
    created = emulator.created(
        collection,
        {"user": {"id": user_id}, "enrolled_at": ENROLLED_AT, "expires_at": "2031-01-01T00:00:00Z"},
    )
    item = f"{collection}/{created['id']}"

    patched = emulator.patch(item, json={"active": False, "enrolled_at": "2000-01-01T00:00:00Z"}).json()
    assert patched["active"] is False
    assert patched["enrolled_at"] == ENROLLED_AT  # read-only
    assert patched["expires_at"] == "2031-01-01T00:00:00.000000Z"

    put = emulator.put(item, json={"expires_at": None}).json()  # partial: `active` stays
    assert put["active"] is False
    assert put["expires_at"] is None
    assert "expires_at" not in emulator.get(item).json()  # the read schema has no null expiry

    assert emulator.patch(item, json={"active": "perhaps"}).json() == {"active": ["Must be a valid boolean."]}
    assert emulator.delete(item).status_code == 405
    assert emulator.delete(collection).status_code == 405
    assert emulator.patch(f"{collection}/nosuchenroll1", json={"active": True}).status_code == 404


@KINDS
def test_enrollments_are_scoped_to_their_domain(emulator: Emulator, enrollments_on: EnrollmentsOn) -> None:
    collection = enrollments_on(emulator, DOMAIN)
    elsewhere = collection.replace(DOMAIN, OTHER_DOMAIN)
    assert emulator.get(elsewhere).status_code == 404
    assert (
        emulator.post(elsewhere, json={"user": {"id": emulator.member_id("x@example.com")}}).status_code
        == 404
    )


def test_an_enrollment_can_carry_a_purchase(emulator: Emulator) -> None:
    collection = _course_enrollments(emulator, DOMAIN)
    user_id = emulator.member_id("buyer@example.com")
    purchase = {"purchase_price": {"amount": "20.00"}, "purchase_state": "SUCCESS", "tax_price_cents": 150}

    created = emulator.created(
        collection, {"user": {"id": user_id}, "enrolled_at": ENROLLED_AT, "purchase": purchase}
    )
    bought = created["purchase"]
    assert OBJECT_ID.fullmatch(bought["order_id"]) and OBJECT_ID.fullmatch(bought["purchase_id"])
    assert bought == {
        "order_id": bought["order_id"],
        "purchase_id": bought["purchase_id"],
        "purchase_price": {"amount": "20.00", "currency_code": "USD"},
        "purchase_state": "SUCCESS",
        "purchased_at": ENROLLED_AT,
        "tax_price_cents": 150,
        "offer_price": {"amount": "0.00", "currency_code": "USD"},
        "quantity": 1,
        "payment_processor": "NONE",
    }
    assert emulator.get(f"{collection}/{created['id']}").json()["purchase"] == bought
    assert emulator.post(
        collection, json={"user": {"id": user_id}, "purchase": {"purchase_state": "PAID"}}
    ).json() == {"purchase": {"purchase_state": ['"PAID" is not a valid choice.']}}
    # The spec means `purchase: null` and `active: null` to be valid, but writes `purchase` as a nullable
    # `allOf`, which openapi-core reads as not nullable. Both mean "not given".
    plain = emulator.post(
        collection, json={"user": {"id": user_id}, "purchase": None, "active": None}, check_request=False
    )
    assert plain.status_code == 201
    assert "purchase" not in plain.json() and plain.json()["active"] is True


def test_enrollment_pages_default_to_1000(emulator: Emulator) -> None:
    course = emulator.create_course("Popular Course")
    emulator.publish(course["id"])
    seeded = emulator.seed(
        {
            "users": [{"email": "busy@example.com", "domains": [{"name": DOMAIN}]}],
            "enrollments": [
                {
                    "domain": DOMAIN,
                    "course": "Popular Course",
                    "email": "busy@example.com",
                    "enrolled_at": f"2030-01-01T00:00:00.{index:06d}Z",
                }
                for index in range(1001)
            ],
        }
    )
    collection = emulator.get(f"/v1/domains/{DOMAIN}/published-courses").json()["results"][0]["id"]
    path = f"/v1/domains/{DOMAIN}/published-courses/{collection}/enrollments"
    first = emulator.get(f"{path}?page_size=5000").json()
    assert first["count"] == 1001 and len(first["results"]) == 1000
    last = emulator.get(first["next"]).json()
    assert [item["id"] for item in last["results"]] == [seeded["enrollments"][-1]["id"]]
    assert len(emulator.get(f"{path}?page_size=3").json()["results"]) == 3
