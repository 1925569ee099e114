"""Redaction that can still be reviewed: each person a stable pseudonym, keyed by a secret of the
environment, so a reviewer tells people apart and follows one through the plan, and nobody reverses
a pseudonym by hashing guessed addresses."""

from __future__ import annotations

import hashlib
import re

import pytest

from lmsform.output import render
from lmsform.output.markdown import escaped
from lmsform.output.redaction import (
    REDACT_KEY_VARIABLE,
    RedactionKeyError,
    Redactor,
    pseudonym,
    redaction_key,
)
from lmsform.plan import Action, Change, Plan
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CliRunnerCall, ProjectDir

KEY = b"a long key for the tests of redaction"
TWELVE = [
    f"i{name}@acme.com"
    for name in ("an", "vy", "da", "ris", "gor", "nes", "lse", "rene", "o", "sa", "an2", "ona")
]
PSEUDONYM = re.compile(r"user-[0-9a-f]{8}@acme\.com")


def test_twelve_people_sharing_a_first_letter_get_twelve_pseudonyms() -> None:
    redactor = Redactor("emails", KEY)

    shown = [redactor.text(address) for address in TWELVE]

    assert all(PSEUDONYM.fullmatch(text) for text in shown), shown
    assert len(set(shown)) == 12


def test_one_person_reads_the_same_in_every_kind_section_and_case(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REDACT_KEY_VARIABLE, KEY.decode())
    changes = [
        Change(Action.CREATE, "users", ("Ian.Berg@ACME.com",), None, {"active": True}),
        Change(Action.CREATE, "memberships", ("interns", "ian.berg@acme.com"), None, {}),
        Change(Action.CREATE, "enrollments", ("course", "Safety", "ian.berg@acme.com"), None, {}),
        Change(Action.REASSERT, "supervisors", ("ian.berg@acme.com",), None, {"group": "ops"}, ("group",)),
    ]
    plan = Plan.build("skilljar", "acme.skilljar.com", changes, {}, ["ian.berg@acme.com has no manager"])
    redactor = Redactor("emails", KEY)

    comment = render(plan, "markdown", title="Skilljar", redact="emails")
    text = render(plan, "text", title="Skilljar", redact="emails")

    expected = pseudonym("ian.berg@acme.com", KEY)
    for output in (comment, text):
        assert "ian" not in output.lower().replace("interns", "")
        assert set(PSEUDONYM.findall(output)) == {expected}
    # Four changes and the warning (escaped in Markdown's text, shown the same).
    assert text.count(expected) == 5
    assert comment.count(expected) == 4 and comment.count(escaped(expected)) == 1
    assert redactor.text("Ian.Berg@ACME.com") == expected


def test_a_pseudonym_cannot_be_found_by_hashing_guessed_addresses() -> None:
    """Without the key, a guess hashes to nothing a pseudonym shows; another key, another pseudonym."""
    address = "ian.berg@acme.com"
    tag = pseudonym(address, KEY).removeprefix("user-").removesuffix("@acme.com")

    unkeyed = [hashlib.new(name, address.encode()).hexdigest() for name in ("sha256", "sha1", "md5")]
    assert not any(tag in digest for digest in unkeyed)
    assert pseudonym(address, b"another long key for the tests") != pseudonym(address, KEY)


def test_the_domain_is_kept_for_review() -> None:
    redactor = Redactor("emails", KEY)

    assert redactor.text("jane@contractor.example").endswith("@contractor.example")
    assert redactor.text("jane@acme.com").removesuffix("@acme.com") != redactor.text(
        "jane@contractor.example"
    ).removesuffix("@contractor.example")


def test_without_a_key_each_run_draws_its_own() -> None:
    """Pseudonyms hold within one run (the plan shown and the apply's progress lines), never longer."""
    first = redaction_key({})

    assert redaction_key({}) == first and len(first) == 32
    assert Redactor("emails").text("ian@acme.com") == Redactor("emails").text("ian@acme.com")


def test_a_short_key_is_refused_without_showing_it() -> None:
    short = "CANARY-short"

    with pytest.raises(RedactionKeyError) as refused:
        redaction_key({REDACT_KEY_VARIABLE: short})

    assert short not in str(refused.value)
    assert "shorter than 16 characters" in str(refused.value)


def test_without_redaction_nothing_is_hidden() -> None:
    redactor = Redactor("none")

    assert redactor.text("ian@acme.com") == "ian@acme.com"
    assert redactor.value("first_name", "Ian") == "Ian"


def test_a_pull_request_comment_tells_people_apart_and_never_shows_the_key(
    skilljar: EmulatorServer,
    project: ProjectDir,
    cli: CliRunnerCall,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """End to end: twelve new interns, each a pseudonym of their own, the same in users and in
    memberships and the same on the next run; the key (a suite canary) shows nowhere."""
    key = "redact-key-CANARY-5e1f0c9a7b"
    monkeypatch.setenv(REDACT_KEY_VARIABLE, key)
    project.configure(skilljar.url)
    members = ", ".join(TWELVE)
    project.write(
        "people.yaml",
        "users:\n" + "".join(f"  - email: {address}\n" for address in TWELVE) + f"groups:\n"
        f"  - name: interns\n    members: [{members}]\n",
    )

    first = cli("plan", project.root, "--format", "markdown", "--redact", "emails")
    again = cli("plan", project.root, "--format", "markdown", "--redact", "emails")

    assert first.exit_code == 0, first.output
    assert first.stdout == again.stdout
    users = re.findall(r'^\+ users\["(.+)"\]', first.stdout, re.MULTILINE)
    interns = re.findall(r'^\+ memberships\["interns", "(.+)"\]', first.stdout, re.MULTILINE)
    assert sorted(users) == sorted(interns) == sorted(pseudonym(address, key.encode()) for address in TWELVE)
    assert len(set(users)) == 12
    assert key not in first.stdout


def test_attack_a_manifest_cannot_read_the_redaction_key(
    project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pull request that could read the key would put it in a saved plan and send it to the vendor
    as a group's name, and then reverse every pseudonym by hashing guessed addresses."""
    key = "redact-key-CANARY-5e1f0c9a7b"
    monkeypatch.setenv(REDACT_KEY_VARIABLE, key)
    project.configure("sandbox")
    project.write("groups.yaml", f"groups:\n  - name: ${{{REDACT_KEY_VARIABLE}}}\n")

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert "groups.yaml:2:11: ${LMSFORM_REDACT_KEY} is a setting of lmsform itself" in result.output
    assert key not in result.output
