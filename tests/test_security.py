"""Transport security: no plain http to other machines unless asked for loudly, https-only webhooks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lmsform.providers import registry
from lmsform.providers.emulation.server import EmulatorServer
from tests.conftest import DOMAIN, CliRunnerCall, ProjectDir


def _config(base_url: str, extra: str = "") -> str:
    return (
        f"provider:\n  type: skilljar\n  domain: {DOMAIN}\n  api_key: ${{SKILLJAR_API_KEY}}\n"
        f"  base_url: {base_url}\n{extra}"
    )


def test_plain_http_to_another_machine_is_refused(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", _config("http://lms.example.com/api"))

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert (
        "Error: project/lmsform.yaml:2:3: provider: base_url http://lms.example.com/api is plain http:// to "
        "another machine: the API key would cross the network unencrypted. Use https://, or set "
        "allow_insecure: true if you must"
    ) in result.stderr


def test_allow_insecure_goes_ahead_with_a_warning(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", _config("http://lms.invalid", "  allow_insecure: true\n  retries: 0\n"))
    project.write("people.yaml", "users:\n  - email: a@acme.com\n")

    result = cli("plan", project.root, env={"LMSFORM_ALLOWED_ORIGINS": "http://lms.invalid"})

    assert "Warning: allow_insecure: http://lms.invalid is plain http://" in result.stderr
    assert result.exit_code == 1  # the host does not exist: the point is that lmsform tried, and said so


def test_plain_http_on_this_machine_needs_no_override(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", "users:\n  - email: a@acme.com\n")

    result = cli("plan", project.root)

    assert result.exit_code == 0, result.output
    assert "Warning" not in result.stderr


def test_webhooks_must_be_https(project: ProjectDir, cli: CliRunnerCall) -> None:
    project.write("lmsform.yaml", _config("https://api.skilljar.com"))
    project.write("hooks.yaml", "webhooks:\n  - url: http://hooks.acme.example/lms\n")

    result = cli("validate", project.root)

    assert result.exit_code == 1
    assert (
        "Error: project/hooks.yaml:2:10: url: 'http://hooks.acme.example/lms' is not an https:// URL: "
        "deliveries carry learner data and credentials, so they must be encrypted"
    ) in result.stderr


@pytest.mark.parametrize(
    ("vendor", "settings"),
    [
        ("skilljar", {"domain": "acme.skilljar.com", "api_key": "   "}),
        ("damstra", {"access_key": "   "}),
        ("versal", {"organisation": 1, "api_key": "   "}),
        ("training-records", {"username": "acme-api", "api_key": "   "}),
    ],
)
def test_a_blank_credential_is_refused_by_every_provider(vendor: str, settings: dict[str, object]) -> None:
    """Credentials are checked once, for every provider (Training Records accepted a blank key)."""
    model = registry()[vendor].settings_model
    with pytest.raises(ValidationError) as refused:
        model.model_validate({"type": vendor, "base_url": "http://127.0.0.1:9", **settings})

    assert any(error["msg"] == "Value error, is empty" for error in refused.value.errors())
