"""Every command the README shows still runs as written: the subcommand exists and takes each option
it is shown with, a concrete command parses as click would parse it, each YAML example is already in
`lmsform fmt`'s layout, shell completion is what the README says, and every file and module it names
exists. A renamed or removed option, command or file fails here, not in a reader's terminal."""

from __future__ import annotations

import importlib.util
import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lmsform.cli import main
from lmsform.manifest import CONFIG_FILE
from lmsform.manifest_layout import format_project
from lmsform.providers import registry
from lmsform.providers.base import ProviderSettings
from lmsform.providers.skilljar.provider import _MAX_LENGTHS

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SHELL_BLOCKS = re.findall(r"^```sh\n(.*?)^```", README, re.DOTALL | re.MULTILINE)
YAML_BLOCKS = re.findall(r"^```yaml\n(.*?)^```", README, re.DOTALL | re.MULTILINE)
# `lmsform …` in a code span: the commands table's first column, and commands named in the prose.
CODE_SPANS = re.findall(r"`(lmsform [^`]+)`", README)
# A block that is a workflow's `env:` (the trusted policy), not a manifest fmt would read.
WORKFLOW_KEYS = ("env:",)
CONFIG_KEYS = ("provider:", "environment:", "include:", "variables:", "safety:", "protect:", "ignore:")
SHELL_OPERATORS = frozenset({"&&", "||", ";", "|", "&", ">", ">>", "<"})
PLACEHOLDER_BRACKETS = "[]"


def _words(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    return list(lexer)


def _lmsform_arguments(line: str) -> list[list[str]]:
    """The arguments of every `lmsform` a shell line runs (`A=1 lmsform plan x && lmsform …`)."""
    commands: list[list[str]] = []
    segment: list[str] = []
    for word in [*_words(line), ";"]:
        if word not in SHELL_OPERATORS:
            segment.append(word)
            continue
        while segment and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", segment[0]):
            segment.pop(0)  # an environment assignment before the command
        if segment and segment[0] == "lmsform":
            commands.append(segment[1:])
        segment = []
    return commands


def _shell_commands() -> list[list[str]]:
    """Each `lmsform SUBCOMMAND …` of the shell blocks; a bare `lmsform` (shell completion's
    `_LMSFORM_COMPLETE=… lmsform`) is checked by the completion tests below."""
    return [
        arguments
        for block in SHELL_BLOCKS
        for line in block.splitlines()
        for arguments in _lmsform_arguments(line)
        if arguments
    ]


def _documented_commands() -> list[list[str]]:
    """Commands in code spans, placeholders and all: `lmsform export [DIR] [--kinds users,groups]`."""
    return [[word.strip(PLACEHOLDER_BRACKETS) for word in _words(span)][1:] for span in CODE_SPANS]


def _option_names(command: click.Command) -> set[str]:
    context = click.Context(command, info_name=command.name)
    return {
        name
        for parameter in command.get_params(context)
        for name in (*parameter.opts, *parameter.secondary_opts)
        if name.startswith("-")
    }


def _unknown_parts(arguments: list[str]) -> list[str]:
    name, *rest = arguments
    command = main.commands.get(name)
    if command is None:
        return [f"command {name}"]
    options = _option_names(command)
    return [
        f"{name} {word}"
        for word in rest
        if word.startswith("-") and word != "-" and word.split("=")[0] not in options
    ]


def test_the_readme_shows_commands_in_its_blocks_and_in_its_table() -> None:
    shown = {arguments[0] for arguments in _shell_commands()}
    documented = {arguments[0] for arguments in _documented_commands()}

    assert {"apply", "plan"} <= shown
    # Every command the CLI has is in the commands table.
    assert set(main.commands) <= documented


@pytest.mark.parametrize("arguments", _documented_commands(), ids=" ".join)
def test_every_command_the_readme_names_exists_with_the_options_it_shows(arguments: list[str]) -> None:
    assert _unknown_parts(arguments) == []


@pytest.mark.parametrize("arguments", _shell_commands(), ids=" ".join)
def test_every_command_in_a_readme_shell_block_parses_as_written(
    arguments: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Parsed by the real click app as the shell would pass it, in the repository's root, where the
    README's paths lead; nothing runs (a command's body is not called)."""
    monkeypatch.chdir(ROOT)
    name, *rest = arguments
    group_context = main.make_context("lmsform", [name])
    command = main.commands[name]

    with command.make_context(name, rest, parent=group_context):
        pass


def test_the_readme_names_the_commands_that_take_the_log_options() -> None:
    sentence = re.search(
        r"`DIR` defaults to the current directory\. (.*?) take the log options", README, re.DOTALL
    )
    assert sentence is not None
    named = set(re.findall(r"`(\w+)`", sentence.group(1)))

    for option in ("--verbose", "-v", "--log-file", "--log-format"):
        assert named == {name for name, command in main.commands.items() if option in _option_names(command)}


def test_a_renamed_option_would_fail_the_readme_check() -> None:
    assert _unknown_parts(["plan", "--detailed-exitcode", "--out", "plan.json"]) == []
    assert _unknown_parts(["plan", "--detailed-exit-code"]) == ["plan --detailed-exit-code"]
    assert _unknown_parts(["fmt", "--verbose"]) == ["fmt --verbose"]
    assert _unknown_parts(["render", "plan.json"]) == ["command render"]
    assert _lmsform_arguments("A=1 lmsform apply x --auto-approve && A=1 lmsform plan x > out.txt") == [
        ["apply", "x", "--auto-approve"],
        ["plan", "x"],
    ]


def _manifest_examples() -> list[str]:
    return [block for block in YAML_BLOCKS if not block.startswith(WORKFLOW_KEYS)]


@pytest.mark.parametrize("block", _manifest_examples(), ids=lambda block: block.splitlines()[0])
def test_every_yaml_example_is_in_the_layout_fmt_writes(block: str, tmp_path: Path) -> None:
    config = block if block.startswith(CONFIG_KEYS) else "provider:\n  type: skilljar\n"
    (tmp_path / CONFIG_FILE).write_text(config, encoding="utf-8")
    if config is not block:
        (tmp_path / "resources.yaml").write_text(block, encoding="utf-8")

    result = format_project(tmp_path, check=True)

    assert result.skipped == ()
    assert result.changed == ()


def test_the_readme_has_both_kinds_of_yaml_example() -> None:
    examples = _manifest_examples()
    assert any(block.startswith("provider:") for block in examples)
    assert any(block.startswith("users:") for block in examples)


def test_the_readme_states_skilljars_name_limits_as_the_provider_checks_them() -> None:
    first, last, group = (
        _MAX_LENGTHS[key] for key in [("users", "first_name"), ("users", "last_name"), ("groups", "name")]
    )
    assert first == last
    statement = f"at most {first} characters in a user's\nfirst or last name, and {group} in a group's name"
    assert statement in README


@pytest.mark.parametrize("vendor", sorted(registry()))
def test_each_vendors_section_names_every_setting_of_its_own(vendor: str) -> None:
    """`organisation`, `default_time_zone`, `grace_period_unit`: a setting the example uses and the
    README omits is one a reader cannot look up."""
    provider = registry()[vendor]
    section = re.search(
        rf"^### {re.escape(provider.title)}[^\n]*\n(.*?)^##", README, re.DOTALL | re.MULTILINE
    )
    assert section is not None, f"README.md has no section ### {provider.title}"
    own = [name for name in provider.settings_model.model_fields if name not in ProviderSettings.model_fields]

    assert [name for name in own if not re.search(rf"`(provider\.)?{name}\b", section.group(1))] == []


# --- shell completion ------------------------------------------------------------------------------


def _completion_lines() -> list[tuple[str, str]]:
    """(variable, value) of each completion line the README shows: `_LMSFORM_COMPLETE=bash_source`."""
    return re.findall(r"^(_LMSFORM_COMPLETE)=(\w+) lmsform\b", "\n".join(SHELL_BLOCKS), re.MULTILINE)


def _completion(value: str, **environment: str) -> str:
    """What the installed `lmsform` script prints with `_LMSFORM_COMPLETE=value`: the same program
    name, so the same variable, as in a shell."""
    result = CliRunner().invoke(
        main, [], prog_name="lmsform", env={"_LMSFORM_COMPLETE": value, **environment}
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_the_readme_shows_completion_for_bash_zsh_and_fish() -> None:
    assert sorted(value for _, value in _completion_lines()) == ["bash_source", "fish_source", "zsh_source"]


def test_the_bash_completion_script_defines_and_registers_a_completion_function() -> None:
    script = _completion("bash_source")

    assert "_lmsform_completion() {" in script
    assert "complete -o nosort -F _lmsform_completion lmsform" in script


@pytest.mark.parametrize("value", ["zsh_source", "fish_source"])
def test_the_zsh_and_fish_completion_scripts_name_lmsform(value: str) -> None:
    assert "lmsform" in _completion(value)
    assert "_LMSFORM_COMPLETE=" in _completion(value)


def test_completion_offers_commands_options_and_choices() -> None:
    def offered(words: str) -> list[str]:
        typed = words.split(" ")
        answer = _completion("bash_complete", COMP_WORDS=words, COMP_CWORD=str(len(typed) - 1))
        return [line.split(",", 1)[1] for line in answer.splitlines()]

    assert offered("lmsform pl") == ["plan"]
    assert offered("lmsform plan --detailed") == ["--detailed-exitcode"]
    assert offered("lmsform init --provider ") == ["damstra", "skilljar", "training-records", "versal"]


# --- files and modules the README names ------------------------------------------------------------

REPOSITORY_PATH = re.compile(r"`((?:tests|docs|examples|benchmarks|lmsform|schemas|\.ci)/[^`<>\s]*)`")
LINK_TARGET = re.compile(r"\]\(([^)#:\s]+)\)")
TEST_FILE = re.compile(r"`(test_\w+\.py)`")
MODULE = re.compile(r"python -m ([\w.]+)")
# Paths the README names that a run makes, not the repository holds.
MADE_BY_A_RUN = ("/.lmsform",)


def _named_paths() -> list[str]:
    tests = [f"tests/{name}" for name in TEST_FILE.findall(README)]
    paths = REPOSITORY_PATH.findall(README) + LINK_TARGET.findall(README) + tests
    return sorted({path for path in paths if not any(part in path for part in MADE_BY_A_RUN)})


def test_the_readme_names_paths_in_the_repository() -> None:
    assert "docs/coverage.md" in _named_paths()


@pytest.mark.parametrize("path", _named_paths())
def test_every_file_the_readme_names_exists(path: str) -> None:
    assert any(ROOT.glob(path.rstrip("/"))), f"README.md names {path}, which is not in the repository"


@pytest.mark.parametrize("module", sorted(set(MODULE.findall(README))))
def test_every_module_the_readme_runs_exists(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    assert importlib.util.find_spec(module) is not None, f"README.md runs python -m {module}"
