"""A name may hold characters a manifest may not show as themselves when it spells them as escapes
(or the vendor holds them): the plan a person reads shows them as escapes too, never raw, so a bidi
override cannot reorder a pull-request comment nor a control character restyle a terminal."""

from __future__ import annotations

import pytest

from lmsform.characters import REFUSED
from lmsform.providers.emulator import EmulatorServer
from tests.conftest import CliRunnerCall, ProjectDir

HOSTILE = r"""
groups:
  - name: "ad\u202emins\u200b"
users:
  - email: ann@acme.com
    first_name: "Ann\u202e"
    last_name: "Safety \x9b31m team \u2066"
    groups: ["ad\u202emins\u200b"]
"""


@pytest.mark.parametrize("output_format", ["text", "markdown"])
def test_a_plan_shows_hidden_characters_as_escapes(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, output_format: str
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", HOSTILE)

    result = cli("plan", project.root, "--format", output_format)

    assert result.exit_code == 0, result.output
    assert REFUSED.search(result.stdout) is None
    assert r'groups["ad\u202emins\u200b"]' in result.stdout
    assert r"Ann\u202e" in result.stdout
    assert r"Safety \u009b31m team \u2066" in result.stdout
