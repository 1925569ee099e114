"""Skilljar groups' membership rules and category as desired state: `rule_email_domains`,
`sign_up_field_rule` and `category`, made, changed and cleared through the CLI against the emulator,
checked in its own store; members a rule brings are not drift (skilljar.md D65-D69)."""

from __future__ import annotations

import json
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.floors import skilljar_group_rule_reads
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls, writes
from tests.oracle import exchange_errors, skilljar_spec

SETUP = {
    "group_categories": ["Regions", "Partners"],
    "signup_fields": [
        {"domain": DOMAIN, "label": "Department"},
        {"domain": DOMAIN, "label": "Region", "type": "PICKLIST", "options": ["APAC", "EMEA", "Americas"]},
    ],
}
CREW = """
groups:
  - name: emea-crew
    category: Regions
    rule_email_domains: [Acme.com, partner.example.com]
    sign_up_field_rule:
      answers: {Region: [EMEA]}
      enforce: true
"""


def _seed(server: EmulatorServer, document: dict[str, Any] = SETUP) -> dict[str, Any]:
    answer = requests.post(f"{server.url}/_emulator/seed", json=document, timeout=10)
    answer.raise_for_status()
    seeded: dict[str, Any] = answer.json()
    return seeded


def _store(server: EmulatorServer) -> dict[str, Any]:
    state: dict[str, Any] = requests.get(f"{server.url}/_emulator/state", timeout=10).json()
    return state


def _stored_group(server: EmulatorServer, name: str) -> dict[str, Any]:
    """The group as the emulator's own tables hold it, its category and rule options by name."""
    state = _store(server)
    [group] = [row for row in state["groups"] if row["name"] == name]
    categories = {row["id"]: row["name"] for row in state["group_categories"]}
    answers = {
        option["id"]: (field["label"], option["value"])
        for field in state["signup_fields"]
        for option in field["options"]
    }
    rule = group["sign_up_field_rule"]
    return {
        "category": categories.get(group["group_category_id"]),
        "rule_email_domains": group["rule_email_domains"],
        "answers": sorted(answers[option["id"]] for option in rule["options"]),
        "enforce": rule["enforce"],
        "require_match_all": rule["require_match_all"],
    }


def _option_id(server: EmulatorServer, label: str, value: str) -> str:
    [field] = [row for row in _store(server)["signup_fields"] if row["label"] == label]
    return next(str(option["id"]) for option in field["options"] if option["value"] == value)


def _group_id(server: EmulatorServer, name: str) -> str:
    return next(str(row["id"]) for row in _store(server)["groups"] if row["name"] == name)


def _apply(cli: CliRunnerCall, project: ProjectDir) -> str:
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code == 0, result.output
    return result.stdout


def _assert_converged(cli: CliRunnerCall, project: ProjectDir) -> str:
    again = cli("plan", project.root, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    return again.stdout


def _assert_spec_valid(server: EmulatorServer) -> None:
    assert exchange_errors(skilljar_spec(), api_calls(server)) == []


def _bodies(server: EmulatorServer, since: int) -> list[tuple[str, str, Any]]:
    return [
        (call.method, call.path, json.loads(call.body) if call.body else None)
        for call in api_calls(server, since=since)
        if call.method != "GET"
    ]


def _apply_crew(skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall) -> None:
    _seed(skilljar)
    project.configure(skilljar.url)
    project.write("groups.yaml", CREW)
    _apply(cli, project)


def test_a_group_is_made_with_its_rules_and_category_in_one_request_and_replans_empty(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _apply_crew(skilljar, project, cli)

    assert _stored_group(skilljar, "emea-crew") == {
        "category": "Regions",
        "rule_email_domains": ["acme.com", "partner.example.com"],  # lower-cased, as Skilljar keeps them
        "answers": [("Region", "EMEA")],
        "enforce": True,
        "require_match_all": False,
    }
    assert writes(skilljar) == [("POST", "/v1/groups")]
    _assert_converged(cli, project)
    _assert_spec_valid(skilljar)


def test_changed_domains_are_one_patch_of_only_the_difference(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _apply_crew(skilljar, project, cli)
    since = len(skilljar.requests)
    project.write(
        "groups.yaml", CREW.replace("[Acme.com, partner.example.com]", "[acme.com, new.example.com]")
    )

    _apply(cli, project)

    group_id = _group_id(skilljar, "emea-crew")
    assert _bodies(skilljar, since) == [
        (
            "PATCH",
            f"/v1/groups/{group_id}/email-domain-rules",
            {"add": ["new.example.com"], "remove": ["partner.example.com"]},
        )
    ]
    assert _stored_group(skilljar, "emea-crew")["rule_email_domains"] == ["acme.com", "new.example.com"]
    _assert_converged(cli, project)
    _assert_spec_valid(skilljar)


def test_a_changed_sign_up_rule_and_category_are_one_patch_of_the_group(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _apply_crew(skilljar, project, cli)
    since = len(skilljar.requests)
    changed = CREW.replace("category: Regions", "category: Partners").replace(
        "answers: {Region: [EMEA]}\n      enforce: true",
        "answers: {Region: [EMEA, APAC]}\n      require_match_all: false",
    )
    project.write("groups.yaml", changed)

    plan = cli("plan", project.root)
    assert "Plan: 0 to add, 1 to change, 0 to remove." in plan.stdout, plan.output
    _apply(cli, project)

    group_id = _group_id(skilljar, "emea-crew")
    [(method, path, body)] = _bodies(skilljar, since)
    assert (method, path) == ("PATCH", f"/v1/groups/{group_id}")
    assert body["sign_up_field_rule"] == {
        "options": [
            {"id": _option_id(skilljar, "Region", "APAC")},
            {"id": _option_id(skilljar, "Region", "EMEA")},
        ],
        "require_match_all": False,
        "enforce": False,
    }
    assert _stored_group(skilljar, "emea-crew") == {
        "category": "Partners",
        "rule_email_domains": ["acme.com", "partner.example.com"],
        "answers": [("Region", "APAC"), ("Region", "EMEA")],
        "enforce": False,
        "require_match_all": False,
    }
    _assert_converged(cli, project)
    _assert_spec_valid(skilljar)


def test_rules_and_category_are_cleared(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _apply_crew(skilljar, project, cli)
    since = len(skilljar.requests)
    project.write(
        "groups.yaml",
        "groups:\n  - name: emea-crew\n    category: null\n    rule_email_domains: []\n"
        "    sign_up_field_rule: null\n",
    )

    _apply(cli, project)

    group_id = _group_id(skilljar, "emea-crew")
    assert [(method, path) for method, path, _ in _bodies(skilljar, since)] == [
        ("PATCH", f"/v1/groups/{group_id}"),
        ("PATCH", f"/v1/groups/{group_id}/email-domain-rules"),
    ]
    assert _stored_group(skilljar, "emea-crew") == {
        "category": None,
        "rule_email_domains": [],
        "answers": [],
        "enforce": False,
        "require_match_all": False,
    }
    _assert_converged(cli, project)
    _assert_spec_valid(skilljar)


def test_an_unknown_category_or_answer_stops_the_plan_before_any_write(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _seed(skilljar)
    project.configure(skilljar.url)
    project.write("groups.yaml", CREW.replace("category: Regions", "category: Regoins"))

    result = cli("apply", project.root, "--auto-approve")

    assert result.exit_code != 0
    assert "has no group category 'Regoins' (its categories: Partners, Regions)" in result.output
    project.write("groups.yaml", CREW.replace("[EMEA]", "[Europe]"))
    result = cli("apply", project.root, "--auto-approve")
    assert result.exit_code != 0
    assert "no sign-up answer 'Region: Europe'" in result.output
    assert "Region: EMEA" in result.output
    assert writes(skilljar) == []


def test_members_a_rule_brings_are_not_drift_and_a_stray_member_is_still_removed(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _seed(skilljar)
    project.configure(skilljar.url, manage="memberships: authoritative")
    project.write(
        "groups.yaml",
        """
        users:
          - email: ann@other.org
        groups:
          - name: crew
            members: [ann@other.org]
            rule_email_domains: [acme.com]
            sign_up_field_rule:
              answers: {Region: [EMEA]}
        """,
    )
    _apply(cli, project)
    # Learners sign up; Skilljar's rules put two of them in the group, server-side.
    emea = _option_id(skilljar, "Region", "EMEA")
    for email, options in (
        ("newcomer@ACME.com", []),
        ("eve@elsewhere.org", [emea]),
        ("stray@elsewhere.org", []),
    ):
        signup = {"domain": DOMAIN, "email": email, "signup_field_option_ids": options}
        requests.post(f"{skilljar.url}/_emulator/signup", json=signup, timeout=10).raise_for_status()
    # Someone puts a learner the rule does not bring in the group by hand.
    stray = next(row["id"] for row in _store(skilljar)["users"] if row["email"] == "stray@elsewhere.org")
    group_id = _group_id(skilljar, "crew")
    _seed(skilljar, {"groups": [{"name": "crew", "members": ["stray@elsewhere.org"]}]})

    plan = cli("plan", project.root)

    assert 'memberships["crew", "newcomer@acme.com"]' not in plan.stdout
    assert 'memberships["crew", "eve@elsewhere.org"]' not in plan.stdout
    assert '- memberships["crew", "stray@elsewhere.org"]' in plan.stdout
    assert "Plan: 0 to add, 0 to change, 1 to remove." in plan.stdout
    assert "Skilljar adds members to group 'crew' by e-mail domains acme.com" in plan.stdout
    assert "Skilljar adds members to group 'crew' by sign-up field answers (Region: EMEA)" in plan.stdout
    _apply(cli, project)
    members = {row["user_id"] for row in _store(skilljar)["group_users"] if row["group_id"] == group_id}
    assert stray not in members and len(members) == 3
    _assert_converged(cli, project)


def test_export_writes_the_rules_and_category_and_replans_empty(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _apply_crew(skilljar, project, cli)
    (project.root / "groups.yaml").unlink()

    exported = cli("export", project.root, "--to", project.root / "exported")
    assert exported.exit_code == 0, exported.output

    text = (project.root / "exported" / "groups.yaml").read_text()
    assert "category: Regions" in text
    assert "rule_email_domains:\n      - acme.com\n      - partner.example.com" in text
    assert "Region:\n          - EMEA" in text and "enforce: true" in text
    _assert_converged(cli, project)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.sets(st.sampled_from(["acme.com", "b.example.com", "c.example.org", "d.example.net"])),
    second=st.sets(st.sampled_from(["Acme.com", "b.example.com", "C.example.org", "e.example.io"])),
)
def test_one_apply_converges_any_change_of_domains_with_at_most_one_patch(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, first: set[str], second: set[str]
) -> None:
    requests.post(f"{skilljar.url}/_emulator/reset", timeout=10).raise_for_status()
    project.configure(skilljar.url)
    project.write(
        "groups.yaml", f"groups:\n  - name: crew\n    rule_email_domains: {json.dumps(sorted(first))}\n"
    )
    _apply(cli, project)
    since = len(skilljar.requests)
    project.write(
        "groups.yaml", f"groups:\n  - name: crew\n    rule_email_domains: {json.dumps(sorted(second))}\n"
    )

    _apply(cli, project)

    wanted = {domain.lower() for domain in second}
    patches = [path for method, path in writes(skilljar, since=since) if path.endswith("/email-domain-rules")]
    assert len(patches) == (0 if wanted == first else 1)
    assert writes(skilljar, since=since) == [("PATCH", path) for path in patches]
    assert sorted(_stored_group(skilljar, "crew")["rule_email_domains"]) == sorted(wanted)
    _assert_converged(cli, project)


def test_a_plan_reads_categories_and_sign_up_fields_once_each_and_nothing_more(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    _apply_crew(skilljar, project, cli)
    since = len(skilljar.requests)

    _assert_converged(cli, project)

    gets = [call.path for call in api_calls(skilljar, since=since) if call.method == "GET"]
    assert gets.count("/v1/group-categories") == 1
    assert gets.count(f"/v1/domains/{DOMAIN}/signup-fields") == 1
    # The domain check, users, groups and the group's members, then the two look-ups.
    base = 4
    extra = skilljar_group_rule_reads(2, 2, names_category=True, names_rule=True)
    assert len(gets) == base + extra == 6


# --- the emulator, against the spec ------------------------------------------------------------------


def _api(server: EmulatorServer) -> requests.Session:
    session = requests.Session()
    session.auth = (CANARY_KEY, "")
    return session


def test_the_emulator_keeps_e_mail_domains_as_the_spec_says(skilljar: EmulatorServer) -> None:
    api = _api(skilljar)
    group = api.post(f"{skilljar.url}/v1/groups", json={"name": "g", "rule_email_domains": ["A.com"]}).json()
    rules = f"{skilljar.url}/v1/groups/{group['id']}/email-domain-rules"

    changed = api.patch(rules, json={"add": ["B.com", "a.com"], "remove": ["c.com"]})

    assert changed.status_code == 200
    assert changed.json() == {"add": ["b.com", "a.com"], "remove": ["c.com"]}
    assert api.get(rules).json() == {"email_domains": ["a.com", "b.com"]}
    assert api.patch(rules, json={"remove": ["A.com"]}).json() == {"remove": ["a.com"]}
    assert api.get(rules).json() == {"email_domains": ["b.com"]}
    refused = api.patch(rules, json={})
    assert refused.status_code == 400 and "non_field_errors" in refused.json()
    assert (
        api.patch(
            f"{skilljar.url}/v1/groups/nosuchgroup/email-domain-rules", json={"add": ["x.com"]}
        ).status_code
        == 404
    )
    _assert_spec_valid(skilljar)


def test_the_emulator_lists_categories_and_refuses_an_unknown_one(skilljar: EmulatorServer) -> None:
    seeded = _seed(skilljar)
    api = _api(skilljar)
    regions = seeded["group_categories"][0]

    listed = api.get(f"{skilljar.url}/v1/group-categories").json()
    assert listed == {"count": 2, "next": None, "previous": None, "results": seeded["group_categories"]}
    assert api.get(f"{skilljar.url}/v1/group-categories/{regions['id']}").json() == regions
    assert api.get(f"{skilljar.url}/v1/group-categories/nosuchcategory").status_code == 404
    paged = api.get(f"{skilljar.url}/v1/group-categories", params={"page": 2, "page_size": 1}).json()
    assert paged["results"] == seeded["group_categories"][1:] and paged["next"] is None
    unknown = api.post(f"{skilljar.url}/v1/groups", json={"name": "g", "group_category_id": "nosuchcategory"})
    assert unknown.status_code == 400 and list(unknown.json()) == ["group_category_id"]
    made = api.post(f"{skilljar.url}/v1/groups", json={"name": "g", "group_category_id": regions["id"]})
    assert made.json()["group_category_id"] == regions["id"]
    _assert_spec_valid(skilljar)


def test_the_emulator_answers_a_rules_options_with_their_value_and_domain(skilljar: EmulatorServer) -> None:
    _seed(skilljar)
    emea = _option_id(skilljar, "Region", "EMEA")
    api = _api(skilljar)

    made = api.post(
        f"{skilljar.url}/v1/groups", json={"name": "g", "sign_up_field_rule": {"options": [{"id": emea}]}}
    ).json()

    assert made["sign_up_field_rule"] == {
        "enforce": False,
        "require_match_all": False,
        "options": [{"id": emea, "value": "EMEA", "domain_name": DOMAIN}],
    }
    _assert_spec_valid(skilljar)
