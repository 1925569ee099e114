"""A stale saved plan says what changed: which manifest files, and which live objects.

The overall manifest digest decides whether a plan is stale; the digest of each file, saved beside it,
only says which files were changed, added or removed. Both the plan file and the checkout may come
from a pull request: the names are escaped, bounded in number, and a list edited to hide a change
leaves the plan stale all the same.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import requests

from lmsform.app import SavedPlan, check_unchanged
from lmsform.errors import StalePlanError
from lmsform.manifest import Project, load_project
from lmsform.plan import Plan
from lmsform.providers import registry
from lmsform.providers.emulation.server import EmulatorServer
from lmsform.state import State
from tests.conftest import DOMAIN, CliRunnerCall, ProjectDir
from tests.skilljar_api import SkilljarApi

CONFIG = "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  api_key: ${SKILLJAR_API_KEY}\n"
ENVIRON = {"SKILLJAR_API_KEY": "test-key-not-secret"}
STALE = "the manifests changed since the plan was made"
PEOPLE = "users:\n  - email: jane@acme.com\n    first_name: Jane\n"
GROUPS = "groups:\n  - name: engineering\n"


class Folder:
    """A git repository (a folder with `.git`) holding the project `app` and whatever it includes."""

    def __init__(self, base: Path) -> None:
        self.root = base / "repo"
        (self.root / ".git").mkdir(parents=True)
        self.write("app/lmsform.yaml", CONFIG)

    def write(self, name: str, text: str) -> None:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")

    def load(self) -> Project:
        return load_project(self.root / "app", providers=registry(), environ=ENVIRON)


@pytest.fixture
def folder(tmp_path: Path) -> Folder:
    return Folder(tmp_path)


def _saved(project: Project, **edits: Any) -> SavedPlan:
    """An empty plan made from `project`, saved and read back (its JSON, edited by `edits` as a plan
    file's author could edit it)."""
    made = Plan(
        project.provider.name,
        project.settings.target(),
        (),
        manifest_digest=project.digest,
        manifest_files=project.file_digests,
    )
    document = json.loads(json.dumps(made.to_json()))
    document.update(edits)
    return SavedPlan(Plan.from_json(document), document, project.root)


def _stale_reasons(saved: SavedPlan, project: Project) -> list[str]:
    with pytest.raises(StalePlanError) as raised:
        check_unchanged(saved, saved.plan, project, State())
    return raised.value.reasons


def test_a_changed_and_an_added_file_are_named(folder: Folder) -> None:
    folder.write("app/users.yaml", PEOPLE)
    saved = _saved(folder.load())
    folder.write("app/users.yaml", PEOPLE.replace("Jane", "Janet"))
    folder.write("app/groups.yaml", GROUPS)

    assert _stale_reasons(saved, folder.load()) == [f"{STALE}: groups.yaml was added, users.yaml changed"]


def test_a_removed_file_in_a_subfolder_is_named(folder: Folder) -> None:
    folder.write("app/people/users.yaml", PEOPLE)
    folder.write("app/groups.yaml", GROUPS)
    saved = _saved(folder.load())
    (folder.root / "app/people/users.yaml").unlink()

    assert _stale_reasons(saved, folder.load()) == [f"{STALE}: people/users.yaml was removed"]


def test_a_changed_lmsform_yaml_is_named(folder: Folder) -> None:
    saved = _saved(folder.load())
    folder.write("app/lmsform.yaml", CONFIG + "# reviewed\n")

    assert _stale_reasons(saved, folder.load()) == [f"{STALE}: lmsform.yaml changed"]


def test_an_included_file_is_named_by_its_path_from_the_project(folder: Folder) -> None:
    folder.write("app/lmsform.yaml", CONFIG + "include: [../shared]\n")
    folder.write("shared/users.yaml", PEOPLE)
    project = folder.load()
    assert set(project.file_digests) == {"lmsform.yaml", "../shared/users.yaml"}
    saved = _saved(project)
    folder.write("shared/users.yaml", PEOPLE.replace("Jane", "Janet"))

    assert _stale_reasons(saved, folder.load()) == [f"{STALE}: ../shared/users.yaml changed"]


def test_many_files_are_named_ten_at_most_and_the_rest_counted(folder: Folder) -> None:
    for number in range(14):
        folder.write(f"app/team{number:02d}.yaml", f"users:\n  - email: p{number}@acme.com\n")
    saved = _saved(folder.load())
    for number in range(14):
        changed = f"users:\n  - email: p{number}@acme.com\n    first_name: P\n"
        folder.write(f"app/team{number:02d}.yaml", changed)

    (reason,) = _stale_reasons(saved, folder.load())

    named = [f"team{number:02d}.yaml changed" for number in range(10)]
    assert reason == f"{STALE}: {', '.join(named)}, and 4 more"


def test_attack_a_file_name_with_control_characters_is_escaped(folder: Folder) -> None:
    """Names from the checkout (an added file) and from the plan file (a "removed" one) alike: neither
    may start a line of its own (a CI log's `::error::`), colour the terminal, or pass for a second
    file of the message."""
    saved = _saved(folder.load())
    saved = _saved(
        folder.load(),
        manifest_files={**saved.plan.manifest_files, "gone\u202e.yaml, lmsform.yaml changed": "sha256:0"},
    )
    folder.write("app/evil\x1b[31m\n::error::x.yaml", PEOPLE)

    (reason,) = _stale_reasons(saved, folder.load())

    assert reason == (
        f"{STALE}: "
        '"evil\\u001b[31m\\n::error::x.yaml" was added, '
        '"gone\\u202e.yaml, lmsform.yaml changed" was removed'
    )


def test_attack_a_list_edited_to_hide_the_change_leaves_the_plan_stale(folder: Folder) -> None:
    folder.write("app/users.yaml", PEOPLE)
    saved = _saved(folder.load())
    folder.write("app/users.yaml", PEOPLE.replace("Jane", "Mallory"))
    now = folder.load()

    edited = _saved(now, manifest_digest=saved.plan.manifest_digest)

    assert edited.plan.manifest_files == now.file_digests  # the list claims nothing changed
    assert _stale_reasons(edited, now) == [STALE]


def test_the_overall_digest_decides_not_the_list(folder: Folder) -> None:
    """A list that differs while the overall digest matches makes no plan stale: it only explains."""
    folder.write("app/users.yaml", PEOPLE)
    project = folder.load()
    saved = _saved(project, manifest_files={"users.yaml": "sha256:0"})

    check_unchanged(saved, saved.plan, project, State())


def test_a_plan_saved_before_the_list_existed_still_applies_or_is_refused_as_before(folder: Folder) -> None:
    folder.write("app/users.yaml", PEOPLE)
    project = folder.load()
    document = _saved(project).document
    old = {name: value for name, value in document.items() if name != "manifest_files"}
    saved = SavedPlan(Plan.from_json(old), old, project.root)

    check_unchanged(saved, saved.plan, project, State())
    folder.write("app/users.yaml", PEOPLE.replace("Jane", "Janet"))
    assert _stale_reasons(saved, folder.load()) == [STALE]


@pytest.mark.parametrize("files", [["users.yaml"], {"users.yaml": 1}, "users.yaml"])
def test_a_malformed_list_is_a_malformed_plan_file(folder: Folder, files: object) -> None:
    from lmsform.errors import PlanFileError

    with pytest.raises(PlanFileError, match="manifest_files"):
        _saved(folder.load(), manifest_files=files)


def test_a_plan_of_no_project_keeps_the_json_form_it_had() -> None:
    assert "manifest_files" not in Plan("skilljar", DOMAIN, ()).to_json()


# --- end to end, on the emulator -------------------------------------------------------------------------


def _store(server: EmulatorServer) -> Any:
    answer = requests.get(f"{server.url}/_emulator/state", timeout=10)
    answer.raise_for_status()
    return answer.json()


def test_apply_names_the_changed_files_and_the_changed_object(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall
) -> None:
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    assert cli("apply", project.root, "--auto-approve").exit_code == 0
    project.write("people.yaml", PEOPLE.replace("Jane", "Janet"))
    plan_file = project.root / "plan.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0
    project.write("people.yaml", PEOPLE.replace("Jane", "Jo"))
    project.write("groups.yaml", GROUPS)
    api = SkilljarApi(skilljar.url)
    (jane,) = api._all(f"/v1/domains/{DOMAIN}/users")
    api._call("PATCH", f"/v1/users/{jane['user']['id']}", json={"last_name": "Changed-in-dashboard"})
    store = _store(skilljar)

    result = cli("apply", plan_file)

    assert result.exit_code == 1, result.output
    assert f"  - {STALE}: groups.yaml was added, people.yaml changed\n" in result.stderr
    assert 'users["jane@acme.com"] was changed in Skilljar since the plan was made' in result.stderr
    assert _store(skilljar) == store


def test_attack_a_signed_plan_whose_list_was_edited_is_refused(
    skilljar: EmulatorServer, project: ProjectDir, cli: CliRunnerCall, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The author changes a file after review and rewrites the list (and the overall digest) to match:
    the signature covers both."""
    monkeypatch.setenv("LMSFORM_PLAN_KEY", "plan-key-CANARY-51c07e")
    project.configure(skilljar.url)
    project.write("people.yaml", PEOPLE)
    plan_file = project.root / "plan.json"
    assert cli("plan", project.root, "--out", plan_file).exit_code == 0
    project.write("people.yaml", PEOPLE.replace("Jane", "Mallory"))
    now = load_project(project.root, providers=registry())
    document = json.loads(plan_file.read_text(encoding="utf-8"))
    document.update(manifest_files=dict(now.file_digests), manifest_digest=now.digest)
    plan_file.write_text(json.dumps(document), encoding="utf-8")
    store = _store(skilljar)

    result = cli("apply", plan_file)

    assert result.exit_code == 1, result.output
    assert "the plan's signature does not match it" in result.stderr
    assert _store(skilljar) == store
