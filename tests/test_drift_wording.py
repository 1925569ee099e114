"""`drift` says what differs from the manifests, and names a cause only where the apply journals tell it:
changed in the vendor since lmsform applied it, or a manifest edit not applied yet."""

from __future__ import annotations

import json

from lmsform.journal import History, Written, history
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import DOMAIN, CliRunnerCall, ProjectDir
from tests.skilljar_api import SkilljarApi

APPLIED = """
users:
  - email: ann@acme.com
    first_name: Ann
  - email: bob@acme.com
    first_name: Bob
groups:
  - name: crew
    members: [ann@acme.com]
"""
# Bob renamed and Dee added in the manifests, neither applied.
EDITED = APPLIED.replace("first_name: Bob", "first_name: Robert").replace(
    "groups:", "  - email: dee@acme.com\ngroups:"
)


def _applied(skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall) -> None:
    project.configure(skilljar.url, manage="memberships: authoritative")
    project.write("people.yaml", APPLIED)
    assert cli("apply", project.root, "--auto-approve").exit_code == 0


def _changed_in_skilljar(skilljar: EmulatorServer) -> None:
    """Ann renamed, and Bob added to the crew, by someone in Skilljar."""
    api = SkilljarApi(skilljar.url)
    ids = {item["user"]["email"]: item["user"]["id"] for item in api._all(f"/v1/domains/{DOMAIN}/users")}
    api._call("PATCH", f"/v1/users/{ids['ann@acme.com']}", json={"first_name": "Annie"})
    crew = next(group["id"] for group in api._all("/v1/groups"))
    api.add_member(crew, ids["bob@acme.com"])


def test_after_a_complete_apply_every_difference_was_made_in_the_vendor(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _applied(skilljar, project, cli)
    _changed_in_skilljar(skilljar)

    result = cli("drift", project.root)

    assert result.exit_code == 2
    assert result.stdout == (
        "Skilljar acme.skilljar.com differs from the manifests:\n"
        "\n"
        '  ~ users["ann@acme.com"]\n'
        '      first_name  "Annie" -> "Ann"\n'
        "      # changed in Skilljar since lmsform last applied it\n"
        '  - memberships["crew", "bob@acme.com"]  (delete)\n'
        "      # changed in Skilljar since lmsform last applied it\n"
        "\n"
        "Drift: 0 to add, 1 to change, 1 to remove.\n"
    )


def test_a_manifest_edit_not_applied_is_not_blamed_on_the_vendor(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _applied(skilljar, project, cli)
    _changed_in_skilljar(skilljar)
    project.write("people.yaml", EDITED)

    result = cli("drift", project.root)

    # Ann: the journal wrote "Ann", which the manifests still declare. Bob: the manifests now declare
    # a name the journal never wrote. Dee and Bob's membership: no journal names them, and the
    # manifests changed since the last apply, so either may be the cause: none is claimed.
    assert result.exit_code == 2
    assert result.stdout == (
        "Skilljar acme.skilljar.com differs from the manifests:\n"
        "\n"
        '  + users["dee@acme.com"]\n'
        "      active  true\n"
        '  ~ users["ann@acme.com"]\n'
        '      first_name  "Annie" -> "Ann"\n'
        "      # changed in Skilljar since lmsform last applied it\n"
        '  ~ users["bob@acme.com"]\n'
        '      first_name  "Bob" -> "Robert"\n'
        "      # not applied yet: the manifests changed since lmsform last applied it\n"
        '  - memberships["crew", "bob@acme.com"]  (delete)\n'
        "\n"
        "Drift: 1 to add, 2 to change, 1 to remove.\n"
    )


def test_without_a_journal_drift_claims_no_cause(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", "users:\n  - email: ann@acme.com\n    first_name: Ann\n")

    result = cli("drift", project.root)

    assert result.exit_code == 2
    assert result.stdout == (
        "Skilljar acme.skilljar.com differs from the manifests:\n"
        "\n"
        '  + users["ann@acme.com"]\n'
        '      first_name  "Ann"\n'
        "      active      true\n"
        "\n"
        "Drift: 1 to add, 0 to change, 0 to remove.\n"
    )


def test_json_and_markdown_carry_the_same_causes(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _applied(skilljar, project, cli)
    _changed_in_skilljar(skilljar)
    project.write("people.yaml", EDITED)

    as_json = cli("drift", project.root, "--format", "json")
    markdown = cli("drift", project.root, "--format", "markdown")

    assert as_json.exit_code == markdown.exit_code == 2
    causes = [(change["address"], change["cause"]) for change in json.loads(as_json.stdout)["changes"]]
    assert causes == [
        ('users["dee@acme.com"]', None),
        ('users["ann@acme.com"]', "vendor"),
        ('users["bob@acme.com"]', "not_applied"),
        ('memberships["crew", "bob@acme.com"]', None),
    ]
    assert (
        "```diff\n"
        '+ users["dee@acme.com"]\n'
        "+     active: true\n"
        '! users["ann@acme.com"]\n'
        '-     first_name: "Annie"\n'
        '+     first_name: "Ann"\n'
        "#     changed in Skilljar since lmsform last applied it\n"
        '! users["bob@acme.com"]\n'
        '-     first_name: "Bob"\n'
        '+     first_name: "Robert"\n'
        "#     not applied yet: the manifests changed since lmsform last applied it\n"
        "```\n"
    ) in markdown.stdout


def test_a_failed_write_leaves_what_the_object_holds_unknown(project: ProjectDir) -> None:
    ann, bob = 'users["a@acme.com"]', 'users["b@acme.com"]'
    lines = [
        {"journal": 1, "event": "started", "provider": "skilljar", "target": DOMAIN, "manifests": "sha256:a"},
        {"event": "done", "address": ann, "action": "create", "values": {"first_name": "A"}},
        {"event": "done", "address": bob, "action": "create", "values": {"first_name": "B"}},
        {"event": "failed", "address": ann, "action": "update", "error": "HTTP 500"},
        {"event": "done", "address": bob, "action": "delete"},
        {"event": "stopped", "done": 3, "failed": 1, "not attempted": 0},
    ]
    journal = "".join(json.dumps(line) + "\n" for line in lines)
    project.write(".lmsform/journal/20260101T000000000000Z-a.jsonl", journal)

    known = history(project.root, "skilljar", DOMAIN, [ann, bob])

    # Ann's update failed after her create: she may hold either name. Bob was removed last.
    assert known == History({bob: Written(removed=True, values={})}, complete_with="")
