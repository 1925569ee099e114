"""`export` writes what `validate` accepts and re-plans empty, whatever names the vendor holds.

A vendor may hold names a manifest may not show as they are: decomposed Unicode (NFD), zero-width
and bidirectional-text characters, a word mixing Latin and Cyrillic letters. Export writes each such
character as a YAML escape in a double-quoted string, which a reviewer reads plainly and which lmsform
reads back byte for byte: a group or course is matched by its name, so a name spelt anew (normalised)
would plan a create and a delete. Each vendor's emulator is seeded with such names in keys (group
names, course titles, usernames) and in plain fields, then `export`, `validate` and `plan` run through
the CLI. The same characters written as themselves in a hand-written manifest are still refused.
"""

from __future__ import annotations

import tempfile
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lmsform.characters import text_issues
from lmsform.export import _write
from lmsform.providers.emulation.registry import emulator_for
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.yamlsource import load, plain
from tests.conftest import DOMAIN, CliRunnerCall
from tests.providers.cases import DAMSTRA, SKILLJAR, TRAINING_RECORDS, VERSAL, ContractCase, write_project

NFD = "Zo\u0308e Ame\u0301lie"  # "Zoë Amélie", each accent a combining mark after its letter
ZERO_WIDTH = "ad\u200bmins"  # "admins" with a zero-width space
BIDI = "\u202enimda"  # shows as "admin" backwards: a right-to-left override first
MIXED = "\u0430dmins"  # "admins" with a Cyrillic first letter
ALL = f"{NFD} {ZERO_WIDTH} {BIDI}"
HIDDEN = ("\u0308", "\u0301", "\u200b", "\u202e", "\u0430")


@dataclass(frozen=True)
class Account:
    case: ContractCase
    seed: Callable[[str], None]
    # Text the exported files must hold, written with escapes.
    escaped: tuple[str, ...]


def _seed(url: str, document: dict[str, Any]) -> None:
    answer = requests.post(f"{url}/_emulator/seed", json=document, timeout=10)
    assert answer.ok, answer.text


def _seed_skilljar(url: str) -> None:
    member = {"name": DOMAIN}
    _seed(
        url,
        {
            "users": [
                {"email": "zoe@acme.com", "first_name": NFD, "last_name": BIDI, "domains": [member]},
                {"email": "ann@acme.com", "first_name": ZERO_WIDTH, "last_name": MIXED, "domains": [member]},
            ],
            "groups": [
                {"name": ZERO_WIDTH, "members": ["zoe@acme.com", "ann@acme.com"]},
                {"name": NFD, "members": ["zoe@acme.com"]},
                {"name": BIDI},
                {"name": MIXED},
            ],
            "courses": [
                {"title": NFD, "short_description": ALL, "labels": [], "published_on": [DOMAIN]},
                {"title": ZERO_WIDTH, "short_description": BIDI, "labels": [], "published_on": [DOMAIN]},
            ],
            "enrollments": [
                {
                    "domain": DOMAIN,
                    "course": NFD,
                    "email": "zoe@acme.com",
                    "enrolled_at": "2026-01-01T00:00:00Z",
                },
                {
                    "domain": DOMAIN,
                    "course": ZERO_WIDTH,
                    "email": "ann@acme.com",
                    "enrolled_at": "2026-01-01T00:00:00Z",
                },
            ],
            "webhooks": [
                {
                    "target_url": "https://hooks.example/a",
                    "event_type": "COURSE_COMPLETION",
                    "basic_auth_username": ZERO_WIDTH,
                },
            ],
        },
    )


def _seed_damstra(url: str) -> None:
    _seed(
        url,
        {
            "users": [
                {
                    "userName": "zo\u0308e",
                    "firstName": NFD,
                    "lastName": BIDI,
                    "emailAddress": "zoe@acme.com",
                },
                {
                    "userName": "ann\u200b",
                    "firstName": ZERO_WIDTH,
                    "lastName": MIXED,
                    "emailAddress": "ann@acme.com",
                },
            ],
            "groups": [
                {"name": NFD, "description": ALL},
                {"name": ZERO_WIDTH, "parent": NFD, "members": ["zo\u0308e", "ann\u200b"]},
                {"name": BIDI, "parent": NFD, "supervisors": ["zo\u0308e"]},
                {"name": MIXED},
            ],
            "lessons": [{"name": NFD, "status": "active"}],
            "schedules": [{"userName": "ann\u200b", "lesson": NFD}],
        },
    )


def _seed_versal(url: str) -> None:
    _seed(
        url,
        {
            "users": [
                {"email": "zoe@acme.com", "firstname": NFD, "lastname": BIDI, "roles": ["learner"]},
                {"email": "ann@acme.com", "firstname": ZERO_WIDTH, "lastname": MIXED, "roles": ["admin"]},
            ],
            "courses": [
                {"title": NFD, "learners": ["zoe@acme.com"], "tracked": ["zoe@acme.com"]},
                {"title": ZERO_WIDTH, "learners": ["ann@acme.com"]},
                {"title": BIDI},
            ],
        },
    )


def _seed_training_records(url: str) -> None:
    _seed(
        url,
        {
            "people": [
                {"api_id": "p-1", "name": NFD, "email": "zoe@acme.com"},
                {"api_id": "p-2", "name": ZERO_WIDTH},
            ],
            "packages": [
                {"api_id": "pkg-1", "description": NFD},
                {"api_id": "pkg-2", "description": ZERO_WIDTH},
                {"api_id": "pkg-3", "description": BIDI},
            ],
            "records": [
                {"person_api_id": "p-1", "package_api_id": "pkg-1", "date_started": "2026-01-05T09:00:00Z"},
                {"person_api_id": "p-2", "package_api_id": "pkg-2"},
            ],
        },
    )


ACCOUNTS = {
    "skilljar": Account(SKILLJAR, _seed_skilljar, ('"Zo\\u0308e Ame\\u0301lie"', '"ad\\u200bmins"')),
    "damstra": Account(DAMSTRA, _seed_damstra, ('"zo\\u0308e"', '"ann\\u200b"', '"\\u202enimda"')),
    "versal": Account(VERSAL, _seed_versal, ('"Zo\\u0308e Ame\\u0301lie"', '"\\u0430dmins"')),
    "training-records": Account(TRAINING_RECORDS, _seed_training_records, ('"ad\\u200bmins"',)),
}


@pytest.fixture(params=sorted(ACCOUNTS))
def account(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Account, str]]:
    """A vendor's emulator seeded with names a manifest cannot show as they are, and its API root."""
    account = ACCOUNTS[request.param]
    case = account.case
    monkeypatch.setenv(case.key_variable, case.key)
    for name, value in case.extra_env.items():
        monkeypatch.setenv(name, value)
    app = emulator_for(case.provider).app(
        tmp_path / f"{case.provider}.sqlite3", api_key=case.key, target=None
    )
    with EmulatorServer(app) as server:
        account.seed(server.url)
        yield account, emulator_for(case.provider).api_root(server.url)


def test_export_of_names_with_hidden_characters_validates_and_re_plans_empty(
    account: tuple[Account, str], tmp_path: Path, cli: CliRunnerCall
) -> None:
    seeded, api_root = account
    exported = tmp_path / "exported"
    write_project(exported, seeded.case, api_root, {})

    result = cli("export", exported)

    assert result.exit_code == 0, result.output
    written = "".join(path.read_text(encoding="utf-8") for path in sorted(exported.glob("*.yaml")))
    assert text_issues(written, Path("exported")) == []
    assert not any(char in written for char in HIDDEN)
    assert all(spelling in written for spelling in seeded.escaped), written
    validated = cli("validate", exported)
    assert validated.exit_code == 0, validated.output
    planned = cli("plan", exported, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    assert "No changes." in planned.stdout


def test_a_name_written_with_escapes_is_the_live_name_byte_for_byte(
    skilljar: EmulatorServer, tmp_path: Path, cli: CliRunnerCall
) -> None:
    _seed(skilljar.url, {"groups": [{"name": NFD}]})
    root = tmp_path / "project"
    escaped = 'groups:\n  - name: "Zo\\u0308e Ame\\u0301lie"\n'
    write_project(root, SKILLJAR, skilljar.url, {"groups.yaml": escaped})

    assert cli("validate", root).exit_code == 0
    planned = cli("plan", root, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output

    composed = unicodedata.normalize("NFC", NFD)  # looks the same, but is another name
    write_project(root, SKILLJAR, skilljar.url, {"groups.yaml": f"groups:\n  - name: {composed}\n"})
    planned = cli("plan", root, "--detailed-exitcode")
    assert planned.exit_code == 2, planned.output
    assert f'+ groups["{composed}"]' in planned.stdout


@pytest.mark.parametrize(
    ("name", "column", "message"),
    [
        (
            ZERO_WIDTH,
            13,
            "U+200B ZERO WIDTH SPACE is not allowed in manifests: it is invisible, so two names that look "
            "the same would differ",
        ),
        (
            BIDI,
            11,
            "U+202E RIGHT-TO-LEFT OVERRIDE is not allowed in manifests: a bidirectional-text control makes "
            "text display in another order than it is read",
        ),
        (
            '"' + ZERO_WIDTH + '"',
            14,
            "U+200B ZERO WIDTH SPACE is not allowed in manifests: it is invisible, so two names that look "
            "the same would differ",
        ),
        (
            NFD,
            12,
            f"{unicodedata.normalize('NFC', 'o' + chr(0x308))!r} is written as U+006F LATIN SMALL LETTER O + "
            "U+0308 COMBINING DIAERESIS, not in Unicode NFC form (U+00F6 LATIN SMALL LETTER O WITH "
            "DIAERESIS): two spellings that look the same would be different names; save the file in NFC "
            "(composed) form",
        ),
    ],
    ids=["zero-width", "bidi", "zero-width-quoted", "nfd"],
)
def test_the_same_characters_written_as_themselves_are_still_refused(
    name: str, column: int, message: str, skilljar: EmulatorServer, tmp_path: Path, cli: CliRunnerCall
) -> None:
    root = tmp_path / "project"
    write_project(root, SKILLJAR, skilljar.url, {"groups.yaml": f"groups:\n  - name: {name}\n"})

    result = cli("validate", root)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == f"Error: project/groups.yaml:2:{column}: {message}"


# Characters that need care, mixed into arbitrary text: combining marks, refused ones, NFC singletons
# (ANGSTROM SIGN) and Hangul jamo (which compose without being combining marks), Cyrillic letters.
_TRICKY = st.sampled_from(
    "".join(HIDDEN)
    + '\u212b\u1100\u1161\u11a8\u0338\u200e\x1b\x85\u2028\ufeff\U000e0041\xa0\t\n\r"\\e=\u0410\u00e9#:- '
)


@settings(max_examples=200, derandomize=True)
@example(["\u200e\u0301", "\u1100\u1161"])  # only right with every character outside ASCII escaped
@given(
    st.lists(st.text(st.one_of(_TRICKY, st.characters(codec="utf-8")), max_size=12), min_size=1, max_size=4)
)
def test_any_name_export_writes_reads_back_the_same_from_a_file_lmsform_accepts(names: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "groups.yaml"
        _write(path, "groups", [{"name": name, "members": names} for name in names], "A vendor", [])

        assert text_issues(path.read_text(encoding="utf-8"), path) == []
        read = plain(load(path, path).root)

    assert read == {"groups": [{"name": name, "members": names} for name in names]}


def test_hand_written_escapes_validate_and_are_sent_byte_for_byte(
    skilljar: EmulatorServer, tmp_path: Path, cli: CliRunnerCall
) -> None:
    root = tmp_path / "project"
    names = '"Zo\\u0308e Ame\\u0301lie", "ad\\u200bmins", "\\u202enimda", "\\u0430dmins", "Jane\\e[31m"'
    write_project(
        root,
        SKILLJAR,
        skilljar.url,
        {"groups.yaml": "groups:\n" + "".join(f"  - name: {name}\n" for name in names.split(", "))},
    )

    assert cli("validate", root).exit_code == 0
    applied = cli("apply", root, "--auto-approve")
    assert applied.exit_code == 0, applied.output

    held = requests.get(f"{skilljar.url}/_emulator/state", timeout=10).json()
    assert sorted(group["name"] for group in held["groups"]) == sorted(
        [NFD, ZERO_WIDTH, BIDI, MIXED, "Jane\x1b[31m"]
    )
    assert cli("plan", root, "--detailed-exitcode").exit_code == 0


def test_an_export_of_an_address_manifests_refuse_says_which_and_writes_nothing(
    tmp_path: Path, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Damstra holds e-mail addresses that are not ASCII; manifests refuse them (a look-alike letter
    makes another address that reads the same). Written, they would not validate; left out, an
    authoritative plan would remove those users."""
    monkeypatch.setenv(DAMSTRA.key_variable, DAMSTRA.key)
    app = emulator_for(DAMSTRA.provider).app(tmp_path / "damstra.sqlite3", api_key=DAMSTRA.key, target=None)
    with EmulatorServer(app) as server:
        person = {"userName": "zoe", "firstName": "Zoë", "lastName": "Roux", "emailAddress": "zoë@acme.com"}
        _seed(server.url, {"users": [person]})
        exported = tmp_path / "exported"
        write_project(exported, DAMSTRA, emulator_for(DAMSTRA.provider).api_root(server.url), {})

        result = cli("export", exported)

    assert result.exit_code == 1
    assert (
        "1 Damstra user(s) have e-mail addresses that are not ASCII, which manifests refuse: "
        "'zoë@acme.com'. Give them ASCII addresses in Damstra" in result.stderr
    )
    assert sorted(path.name for path in exported.iterdir()) == ["lmsform.yaml"]
