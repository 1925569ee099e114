"""The four vendors as the emulator harness (`tests.emulators.harness`) sees them: each one's `Vendor`
(data), its client class with the shortcuts its tests use, and its constants and helpers.

Only Skilljar and Versal publish a spec, so only they have an oracle: Skilljar's checks the requests
and answers of every successful call against its OpenAPI file (`tests.oracle`) and that no success
bypassed the client; Versal's checks every exchange the server logged against its Swagger file
(`tests.versal_oracle`), but the requests a test sent malformed on purpose.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from lmsform.providers.damstra import emulator as damstra_emulator
from lmsform.providers.damstra.emulator import DamstraEmulatorOptions
from lmsform.providers.emulation.faults import is_hook
from lmsform.providers.emulation.registry import emulator_for
from lmsform.providers.skilljar import emulator as skilljar_emulator
from lmsform.providers.skilljar.emulator import SkilljarEmulatorOptions
from lmsform.providers.training_records import emulator as training_records_emulator
from lmsform.providers.training_records.emulator import TrainingRecordsEmulatorOptions
from lmsform.providers.versal import emulator as versal_emulator
from lmsform.providers.versal.emulator import VersalEmulatorOptions
from tests import oracle, versal_oracle
from tests.emulators.harness import EmulatorClient, Vendor

# --- Skilljar: HTTP Basic with the key as username; paths start with /v1 -----------------------------

DOMAIN = "acme.skilljar.com"
OTHER_DOMAIN = "beta.skilljar.com"
SKILLJAR_KEY = "k"
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
OBJECT_ID = re.compile(r"[a-z0-9]{13}")


def _describe(errors: Any) -> str:
    return "; ".join(f"{error!r} caused by {error.__cause__!r}" for error in errors)


def _with_sampled_body(response: requests.Response) -> tuple[requests.PreparedRequest, requests.Response]:
    """The exchange with long lists cut to their ends (`oracle.sampled`), which is what gets checked."""
    request = response.request.copy()
    if request.body and request.headers.get("Content-Type") == "application/json":
        request.body = json.dumps(oracle.sampled(json.loads(request.body))).encode()
    sampled = copy.copy(response)
    if response.headers.get("Content-Type") == "application/json":
        sampled._content = json.dumps(oracle.sampled(response.json())).encode()
    sampled.request = request
    return request, sampled


def skilljar_request_problems(response: requests.Response) -> list[str]:
    request, _ = _with_sampled_body(response)
    result = oracle.skilljar_spec().unmarshal_request(RequestsOpenAPIRequest(request))
    return [f"{request.method} {request.url}: {_describe(result.errors)}"] if result.errors else []


def skilljar_response_problems(response: requests.Response) -> list[str]:
    request, sampled = _with_sampled_body(response)
    result = oracle.skilljar_spec().unmarshal_response(
        RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(sampled)
    )
    return [f"{request.method} {request.url}: {_describe(result.errors)}"] if result.errors else []


def _skilljar_problems(client: EmulatorClient[Any]) -> list[str]:
    problems = []
    for sent in client.sent:
        if sent.response.ok and sent.check_request:
            problems += skilljar_request_problems(sent.response)
        if sent.response.ok and sent.check_response and client.check_responses:
            problems += skilljar_response_problems(sent.response)
    successes = [
        record for record in client.server.requests if not is_hook(record.path) and 200 <= record.status < 300
    ]
    if client.checked != len(successes):
        problems.append("a successful API call bypassed spec validation")
    return problems


def _basic_with_key(session: requests.Session, key: str) -> None:
    session.auth = (key, "")


SKILLJAR = Vendor(
    name="skilljar",
    key=SKILLJAR_KEY,
    create_app=lambda path, key, options: skilljar_emulator.create_app(path, api_key=key, options=options),
    store=skilljar_emulator.emulator_store,
    default_options=SkilljarEmulatorOptions(),
    authenticate=_basic_with_key,
    oracle=_skilljar_problems,
)


class Emulator(EmulatorClient[SkilljarEmulatorOptions]):
    """A Skilljar emulator; every successful call must be a spec-valid request with a spec-valid answer."""

    vendor = SKILLJAR

    def assert_request_valid(self, response: requests.Response) -> None:
        assert skilljar_request_problems(response) == []

    def assert_response_valid(self, response: requests.Response) -> None:
        assert skilljar_response_problems(response) == []

    def assert_items_valid(self, response: requests.Response) -> None:
        """`GET /v1/users` answers an envelope, but the spec declares a bare array: check the items."""
        as_array = copy.copy(response)
        as_array._content = json.dumps(response.json()["results"]).encode()
        self.assert_response_valid(as_array)

    def created(self, path: str, body: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.ok("POST", path, 201, json=body)
        return created

    def add_domain_user(self, email: str, *, domain: str = DOMAIN, **fields: Any) -> dict[str, Any]:
        user: dict[str, Any] = {"email": email}
        user.update({name: fields.pop(name) for name in ("first_name", "last_name") if name in fields})
        return self.created(f"/v1/domains/{domain}/users", {"user": user, **fields})

    def member_id(self, email: str, *, domain: str = DOMAIN, **fields: Any) -> str:
        user_id: str = self.add_domain_user(email, domain=domain, **fields)["user"]["id"]
        return user_id

    def create_group(self, name: str, **fields: Any) -> dict[str, Any]:
        return self.created("/v1/groups", {"name": name, **fields})

    def create_course(self, title: str, **fields: Any) -> dict[str, Any]:
        body = {"short_description": f"About {title}", "enforce_sequential_navigation": False, **fields}
        return self.created("/v1/courses", {"title": title, **body})

    def publish(self, course_id: str, *, domain: str = DOMAIN, **settings: Any) -> dict[str, Any]:
        return self.created(
            f"/v1/domains/{domain}/published-courses", {"course": {"id": course_id}, **settings}
        )

    def publish_path(self, slug: str, title: str, *, domain: str = DOMAIN, **fields: Any) -> dict[str, Any]:
        body = {"slug": slug, "path": {"title": title}, **fields}
        return self.created(f"/v1/domains/{domain}/published-paths", body)


StartEmulator = Callable[..., Emulator]
"""The `start_emulator` fixture: `start(options=None)` runs another emulator on the test's state file."""


def seed_members(emulator: Emulator, count: int, *, prefix: str = "user", active: bool = True) -> None:
    users = [
        {"email": f"{prefix}{index:05d}@example.com", "domains": [{"name": DOMAIN, "active": active}]}
        for index in range(count)
    ]
    emulator.seed({"users": users})


def collect_pages(emulator: Emulator, first_url: str) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    url: str | None = first_url
    while url is not None:
        response = emulator.get(url)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        url = pages[-1]["next"]
    return pages


# --- Damstra: an `AccessKey` header; paths under /api/v2 -------------------------------------------

DAMSTRA_KEY = "3f9a0c1d2e"
DAMSTRA_API = emulator_for("damstra").api_path
F1 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000"
F2 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
F3 = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"
E806L = {
    "message": "AccessKey does not exist",
    "reason": "Invalid access key",
    "internalCode": 806,
    "error": "Invalid security token",
}
E806S = {"internalCode": 806, "error": "Token not valid"}
E831 = {"internalCode": 831, "error": "You are not authorised to make this request"}


def _access_key(session: requests.Session, key: str) -> None:
    session.headers["AccessKey"] = key


DAMSTRA = Vendor(
    name="damstra",
    key=DAMSTRA_KEY,
    create_app=lambda path, key, options: damstra_emulator.create_app(path, access_key=key, options=options),
    store=damstra_emulator.emulator_store,
    default_options=DamstraEmulatorOptions(),
    authenticate=_access_key,
)


class Damstra(EmulatorClient[DamstraEmulatorOptions]):
    """A Damstra emulator (it always holds its organisation's owner)."""

    vendor = DAMSTRA

    def set_clock(self, now: str | None) -> None:
        self.ok("POST", "/_emulator/clock", json={"now": now})

    def owner(self) -> dict[str, Any]:
        [owner] = [user for user in self.users(activeValue="all") if 7 in user["roles"]]
        return owner

    def users(self, **params: Any) -> list[dict[str, Any]]:
        page = self.ok("GET", "/user", params={"maxResults": 100, **params})
        results: list[dict[str, Any]] = page["results"]
        return results

    def user(self, user_id: int) -> dict[str, Any]:
        user: dict[str, Any] = self.ok("GET", f"/user/{user_id}")
        return user

    def create_user(self, user_name: str, **fields: Any) -> int:
        body = {
            "userName": user_name,
            "firstName": user_name.capitalize(),
            "lastName": "Tester",
            "emailAddress": f"{user_name}@example.com",
            "sendWelcomeEmail": False,
            **fields,
        }
        user_id: int = self.ok("POST", "/user", json=body)["id"]
        return user_id

    def create_group(self, name: str, **fields: Any) -> int:
        body = {"name": name, "description": f"About {name}", **fields}
        group_id: int = self.ok("POST", "/group", json=body)["id"]
        return group_id

    def group(self, group_id: int) -> dict[str, Any]:
        group: dict[str, Any] = self.ok("GET", f"/group/{group_id}")
        return group

    def update_body(self, user_id: int, **changes: Any) -> dict[str, Any]:
        """A full update body made from the user as it is (read-modify-write), with `changes` applied."""
        user = self.user(user_id)
        required = ("id", "firstName", "lastName", "emailAddress", "phoneNumber", "mobileNumber")
        body = {name: user[name] for name in (*required, "employeeNumber", "roles", "timeZone")}
        return {**body, **changes}


def start_damstra(
    state_path: Path, *, access_key: str | None = DAMSTRA_KEY, options: DamstraEmulatorOptions | None = None
) -> Damstra:
    return Damstra.start(state_path, api_key=access_key, options=options)


def page_ids(response: requests.Response, key: str = "id") -> list[int]:
    assert response.status_code == 200, response.text
    return [row[key] for row in response.json()["results"]]


# --- Training Records: HTTP Basic as `lmsform`; the API where the `prefix` option mounts it ---------

USERNAME = "lmsform"
TRAINING_RECORDS_KEY = "tr-4f1c9a7e2b"
RECORDS = "/training/record/"
GENERATED_ID = r"[0-9a-z]{12}"
UTC_SECONDS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
WRONG_DATE = (
    "Datetime has wrong format. Use one of these formats instead: "
    "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]."
)
Auth = tuple[str, str] | None


def basic(username: str, key: str) -> str:
    """An `Authorization` header value."""
    return "Basic " + base64.b64encode(f"{username}:{key}".encode()).decode()


def _basic_as_username(session: requests.Session, key: str) -> None:
    session.auth = (USERNAME, key)


TRAINING_RECORDS = Vendor(
    name="training-records",
    key=TRAINING_RECORDS_KEY,
    create_app=lambda path, key, options: training_records_emulator.create_app(
        path, api_key=key, options=options
    ),
    store=training_records_emulator.emulator_store,
    default_options=TrainingRecordsEmulatorOptions(),
    authenticate=_basic_as_username,
    mount=lambda options: options.mount,
    timeout=30,
    follow_redirects=False,
)


class TrainingRecordsApi(EmulatorClient[TrainingRecordsEmulatorOptions]):
    """A Training Records emulator, its one resource the records."""

    vendor = TRAINING_RECORDS

    @property
    def auth(self) -> Auth:
        """What the client sends as HTTP Basic credentials by default."""
        auth = self.session.auth
        assert auth is None or isinstance(auth, tuple)
        return auth

    def create(self, **fields: Any) -> dict[str, Any]:
        created: dict[str, Any] = self.ok("POST", RECORDS, 201, json=fields)
        return created

    def record(self, api_id: str) -> dict[str, Any]:
        record: dict[str, Any] = self.ok("GET", f"{RECORDS}{api_id}/")
        return record

    def listing(self, **params: Any) -> Any:
        return self.ok("GET", RECORDS, params=params)

    def read_all(self, limit: int, **params: Any) -> list[dict[str, Any]]:
        """Every record, page by page, following `next` until it is null."""
        page = self.listing(limit=limit, **params)
        records: list[dict[str, Any]] = page["results"]
        while page["next"] is not None:
            response = self.get(page["next"])
            assert response.status_code == 200, response.text
            page = response.json()
            records += page["results"]
        return records


def start_training_records(
    state_path: Path,
    *,
    api_key: str | None = TRAINING_RECORDS_KEY,
    options: TrainingRecordsEmulatorOptions | None = None,
    auth: Auth = (USERNAME, TRAINING_RECORDS_KEY),
) -> TrainingRecordsApi:
    emulator = TrainingRecordsApi.start(state_path, api_key=api_key, options=options)
    emulator.session.auth = auth
    return emulator


StartRecordsApi = Callable[..., TrainingRecordsApi]
"""The `start_records_api` fixture: `start(api_key=KEY, options=None, auth=(USERNAME, KEY),
state_path=None)`."""


def assert_detail(response: requests.Response, status: int, message: str | None = None) -> None:
    """A `{"detail": …}` answer with `status` (and `message`, when given)."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"], body
    if message is not None:
        assert body["detail"] == message


def assert_invalid(response: requests.Response, errors: dict[str, list[str]]) -> None:
    """A 400 validation answer with exactly these field errors."""
    assert response.status_code == 400, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == errors


RECORDS_WORLD: dict[str, Any] = {
    "people": [
        {"api_id": "p-ada", "name": "Ada Lovelace", "email": "ada@example.com"},
        {"api_id": "p-bob", "name": "Bob Builder"},
        {"api_id": "p-cy", "name": "Cy Straße"},
    ],
    "packages": [
        {"api_id": "pkg-fire", "description": "Fire safety awareness"},
        {"api_id": "pkg-first-aid", "description": "First aid basics"},
        {"api_id": "pkg-gdpr", "description": "Data protection (GDPR)"},
    ],
}
"""Three people (one with an e-mail, one whose name needs case folding) and three packages."""


def seed_records_world(emulator: TrainingRecordsApi) -> dict[str, Any]:
    return emulator.seed(RECORDS_WORLD)


# --- Versal: the key (or a user session) as `SID`; paths under /api2 ---------------------------------

VERSAL_KEY = "5f0c2d9e-3b7a-4c41-9e8d-2a6b7c1d0e4f"
OTHER_KEY = "b3e1f0a2-7d6c-4e59-8a1b-9c0d2e3f4a5b"
ORG = 4242
OTHER_ORG = 777
VERSAL_API = emulator_for("versal").api_path
DATE = r"\d{4}-\d\d-\d\d"
DATETIME_MS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
DATE_ONLY = VersalEmulatorOptions(date_fields="date")
"""Date-only dates, so that answers validate against the spec's `format: date`."""


class Sid(requests.auth.AuthBase):
    """Sends `SID`, unless the request's headers already carry one."""

    def __init__(self, sid: str) -> None:
        self.sid = sid

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.setdefault("SID", self.sid)
        return request


def _sid(session: requests.Session, key: str) -> None:
    session.auth = Sid(key)


def _versal_problems(client: EmulatorClient[Any]) -> list[str]:
    flags = {sent.index: sent for sent in client.sent if sent.index is not None}
    problems = []
    for index, record in enumerate(client.server.requests):
        sent = flags.get(index)
        if is_hook(record.path):
            continue
        where = f"{record.method} {record.url_path}"
        if sent is None or sent.check_request:
            problems += [f"request {where}: {problem}" for problem in versal_oracle.request_errors(record)]
        checks_response = (sent is None or sent.check_response) and client.check_responses
        if checks_response and 200 <= record.status < 300 and not record.dropped:
            problems += [
                f"response {record.status} to {where}: {problem}"
                for problem in versal_oracle.response_errors(record)
            ]
    return problems


VERSAL = Vendor(
    name="versal",
    key=VERSAL_KEY,
    create_app=lambda path, key, options: versal_emulator.create_app(path, api_key=key, options=options),
    store=versal_emulator.emulator_store,
    default_options=DATE_ONLY,
    authenticate=_sid,
    oracle=_versal_problems,
)


class Versal(EmulatorClient[VersalEmulatorOptions]):
    """A Versal emulator (it always holds org 4242 and its key); every exchange must keep to the spec."""

    vendor = VERSAL

    def call(
        self, method: str, path: str, *, sid: str | None = "", malformed: bool = False, **kwargs: Any
    ) -> requests.Response:
        """`sid` "" sends the org key, None no `SID`; `malformed` exempts the request from spec checks."""
        if sid is None:
            kwargs["auth"] = None
        elif sid:
            kwargs["auth"] = Sid(sid)
        return super().call(method, path, check_request=not malformed, **kwargs)

    def add_user(self, email: str, roles: list[str] | None = None, **profile: str) -> dict[str, Any]:
        body = {"roles": ["learner"] if roles is None else roles, "user": {"email": email, **profile}}
        created: dict[str, Any] = self.ok("POST", f"/orgs/{ORG}/users", 201, json=body)
        return created

    def user_id(self, email: str, roles: list[str] | None = None, **profile: str) -> str:
        user_id: str = self.add_user(email, roles, **profile)["user"]["id"]
        return user_id

    def session_for(self, email: str) -> str:
        session_id: str = self.ok("POST", "/sessions", 201, json={"email": email})["sessionId"]
        return session_id

    def members(self, **params: Any) -> list[dict[str, Any]]:
        path = f"/orgs/{ORG}/members"
        members: list[dict[str, Any]] = self.ok("GET", path, params={"perPage": 100, **params})
        return members

    def roles_of(self) -> dict[str, list[str]]:
        """Each member's e-mail → org roles, from the member listing."""
        return {member["user"]["email"]: member["roles"] for member in self.members()}

    def tracked(self, course_id: str, **params: Any) -> list[dict[str, Any]]:
        path = f"/courses/{course_id}/userdata"
        rows: list[dict[str, Any]] = self.ok("GET", path, params={"perPage": 100, **params})
        return rows


def start_versal(
    state_path: Path, *, api_key: str | None = VERSAL_KEY, options: VersalEmulatorOptions = DATE_ONLY
) -> Versal:
    return Versal.start(state_path, api_key=api_key, options=options)


StartVersal = Callable[..., Versal]
"""The `start` fixture: `start(api_key=KEY, options=DATE_ONLY, state_path=None, check_responses=True)`."""


def assert_error(response: requests.Response, status: int, message: str | None = None) -> None:
    """An `Error_View_Model` answer with `status` (and `message`, when given)."""
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "message"} and body["error"] == status, body
    assert isinstance(body["message"], str) and body["message"]
    if message is not None:
        assert body["message"] == message


VERSAL_WORLD: dict[str, Any] = {
    "orgs": [{"id": OTHER_ORG, "name": "Other Org", "api_key": OTHER_KEY}],
    "users": [
        {"email": "ada@example.com", "firstname": "Ada", "lastname": "Lovelace", "roles": ["admin"]},
        {"email": "bob@example.com", "firstname": "Bob", "roles": ["learner"]},
        {"email": "cy@example.com", "fullname": "Cy Young", "roles": ["member"]},
        {"email": "zed@other.example", "org": OTHER_ORG, "roles": ["learner"]},
    ],
    "courses": [
        {
            "title": "Intro to Safety",
            "shortDesc": "Basics",
            "tags": ["safety"],
            "public": True,
            "catalogs": ["sandbox", "labs"],
            "createdAt": "2024-01-02T03:04:05.678Z",
            "lessons": [
                {"title": "Welcome", "gadgets": [{"type": "text", "config": {"body": "Hi"}}]},
                {
                    "title": "Quiz",
                    "gadgets": [
                        {
                            "type": "quiz",
                            "config": {"question": "2+2?"},
                            "private": {"answer": "4"},
                            "userdata": {
                                "bob@example.com": {"answer": "4"},
                                "cy@example.com": {"answer": "5"},
                            },
                        }
                    ],
                },
            ],
            "authors": ["cy@example.com"],
            "learners": ["bob@example.com"],
            "tracked": ["bob@example.com"],
            "progress": {"cy@example.com": {"startDate": "2024-02-01", "currentLesson": 1}},
        },
        {"title": "Draft Course", "catalogs": ["sandbox"]},
        {"title": "Elsewhere", "org": OTHER_ORG, "catalogs": ["labs"]},
    ],
}
"""Three users in org 4242 (an admin, a learner, a role-less author), one in org 777; a published
course with two lessons and gadgets, a draft, and a course of the other org."""


def seed_versal_world(emulator: Versal) -> dict[str, Any]:
    """Seed `VERSAL_WORLD`; answers the ids by name: `ada`, `bob`, `cy`, `zed`, `intro`, `draft`,
    `elsewhere`, `welcome`, `quiz` (lessons), `text`, `quiz_gadget`."""
    seeded = emulator.seed(VERSAL_WORLD)
    users = {user["email"].split("@")[0]: user["id"] for user in seeded["users"]}
    intro, draft, elsewhere = seeded["courses"]
    welcome, quiz = intro["lessons"]
    return {
        **users,
        "intro": intro["id"],
        "draft": draft["id"],
        "elsewhere": elsewhere["id"],
        "welcome": welcome["id"],
        "quiz": quiz["id"],
        "text": welcome["gadgets"][0]["id"],
        "quiz_gadget": quiz["gadgets"][0]["id"],
    }
