"""`format_project`: one layout for every manifest file, keeping comments with what they describe."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from lmsform.errors import ManifestError
from lmsform.manifest import Project, load_project
from lmsform.manifest_layout import format_project
from lmsform.providers import registry
from tests.conftest import CliRunnerCall
from tests.examples import copy_example

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
CONFIG = "provider:\n  type: skilljar\n  domain: acme.skilljar.com\n  base_url: sandbox\n"


def make_project(root: Path, files: dict[str, str], *, config: str = CONFIG) -> Path:
    """A project in `root`: lmsform.yaml plus `files` (name: text, dedented)."""
    for name, text in {"lmsform.yaml": config, **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def formatted(tmp_path: Path, text: str, *, name: str = "people.yaml") -> str:
    """`text` as a resource file, after formatting."""
    make_project(tmp_path, {name: text})
    result = format_project(tmp_path, check=False)
    assert result.skipped == ()
    return (tmp_path / name).read_text(encoding="utf-8")


def expected(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# --- key order and comments ----------------------------------------------------------------------


def test_entry_keys_follow_the_model_and_comments_move_with_their_key(tmp_path: Path) -> None:
    text = """
    users:
      - email: jane@acme.com
        groups: [engineering]   # where she works
        # her given name, as HR has it
        first_name: Jane
        active: true
        last_name: Doe          # family name
    """
    assert formatted(tmp_path, text) == expected(
        """
        users:
          - email: jane@acme.com
            # her given name, as HR has it
            first_name: Jane
            last_name: Doe          # family name
            active: true
            groups: [engineering]   # where she works
        """
    )


def test_kinds_follow_the_declarable_order_and_unknown_keys_come_last(tmp_path: Path) -> None:
    text = """
    x-notes: kept last, as written
    webhooks:
      - url: https://hooks.acme.example/lms
    # the people
    users:
      - email: jane@acme.com
    groups:
      - name: engineering
    """
    assert formatted(tmp_path, text) == expected(
        """
        # the people
        users:
          - email: jane@acme.com
        groups:
          - name: engineering
        webhooks:
          - url: https://hooks.acme.example/lms
        x-notes: kept last, as written
        """
    )


def test_the_file_header_stays_on_top_and_a_paragraph_above_a_kind_moves_with_it(tmp_path: Path) -> None:
    text = """
    # yaml-language-server: $schema=../schemas/skilljar/resources.schema.json
    # Acme's groups and people.

    # Teams, one group each.
    groups:
      - name: engineering

    # Everyone with an account.
    users:
      - email: jane@acme.com
    """
    assert formatted(tmp_path, text) == expected(
        """
        # yaml-language-server: $schema=../schemas/skilljar/resources.schema.json
        # Acme's groups and people.

        # Everyone with an account.
        users:
          - email: jane@acme.com

        # Teams, one group each.
        groups:
          - name: engineering
        """
    )


def test_a_comment_on_the_last_key_stays_at_the_end_of_its_entry(tmp_path: Path) -> None:
    """ruamel stores the lines after an entry (and the blank line between entries) on its last key."""
    text = """
    courses:
      - short_description: Feedback, delegation and one-to-ones.
        title: Leadership Foundations
        # not published yet: a draft in the catalogue

      - labels: [safety]    # reviewed yearly
        title: Working at Heights
    """
    assert formatted(tmp_path, text) == expected(
        """
        courses:
          - title: Leadership Foundations
            short_description: Feedback, delegation and one-to-ones.
            # not published yet: a draft in the catalogue

          - title: Working at Heights
            labels: [safety]    # reviewed yearly
        """
    )


def test_a_comment_before_a_key_that_becomes_first_goes_above_the_item(tmp_path: Path) -> None:
    """Nothing can stand between a list item's dash and its first key: the comment goes above the dash."""
    text = """
    groups:
      - name: operations
      - discount_percent: 20  # negotiated in 2025
        # the sales team
        name: sales
    """
    assert formatted(tmp_path, text) == expected(
        """
        groups:
          - name: operations
          # the sales team
          - name: sales
            discount_percent: 20  # negotiated in 2025
        """
    )


def test_published_settings_follow_the_publication_model(tmp_path: Path) -> None:
    text = """
    courses:
      - published:            # settings of the catalogue page
          # open to all
          registration_required: false
          hidden: true
          # keep the old URL
          slug: security-101
          # nothing else yet
        title: Security Awareness 101
    """
    assert formatted(tmp_path, text) == expected(
        """
        courses:
          - title: Security Awareness 101
            published:            # settings of the catalogue page
              # keep the old URL
              slug: security-101
              hidden: true
              # open to all
              registration_required: false
              # nothing else yet
        """
    )


def test_the_settings_of_a_kind_of_one_object_follow_its_model(tmp_path: Path) -> None:
    text = """
    domain:
      access: PRIVATE  # login required
      catalog_title: Acme Academy
    """
    assert formatted(tmp_path, text, name="domain.yaml") == expected(
        """
        domain:
          catalog_title: Acme Academy
          access: PRIVATE  # login required
        """
    )


def test_a_comment_before_the_next_key_is_told_apart_from_the_end_of_a_block_by_its_indentation(
    tmp_path: Path,
) -> None:
    """ruamel puts both on the deepest last item of `published`; only the indentation says which is which."""
    text = """
    courses:
      - title: Security Awareness 101
        published:
          slug: security-101
          # more settings to come
        # the catalogue needs this
        short_description: Phishing and passwords.
    """
    assert formatted(tmp_path, text) == expected(
        """
        courses:
          - title: Security Awareness 101
            # the catalogue needs this
            short_description: Phishing and passwords.
            published:
              slug: security-101
              # more settings to come
        """
    )


def test_lmsform_yaml_keys_start_with_version_provider_manage_and_provider_with_type(
    tmp_path: Path,
) -> None:
    config = """
    # Acme on Skilljar
    manage:                 # per kind
      users: authoritative
    output:
      redact: emails
    provider:
      domain: acme.skilljar.com   # the domain
      # the vendor
      type: skilljar
      base_url: sandbox
      # parallelism: 4
    version: 1
    safety:
      kinds:
        users: {max_remove_percent: 5}
    """
    make_project(tmp_path, {}, config=textwrap.dedent(config).lstrip("\n"))
    format_project(tmp_path, check=False)
    assert (tmp_path / "lmsform.yaml").read_text(encoding="utf-8") == expected(
        """
        # Acme on Skilljar
        version: 1
        provider:
          # the vendor
          type: skilljar
          domain: acme.skilljar.com   # the domain
          base_url: sandbox
          # parallelism: 4
        manage:                 # per kind
          users: authoritative
        output:
          redact: emails
        safety:
          kinds:
            users: {max_remove_percent: 5}
        """
    )


# --- layout and values ---------------------------------------------------------------------------


def test_indentation_is_normalised(tmp_path: Path) -> None:
    text = """
    users:
    - email: jane@acme.com
      groups:
      - engineering
      - sales
    courses:
    -   title: Security Awareness 101
        published:
              slug: security-101
    """
    assert formatted(tmp_path, text) == expected(
        """
        users:
          - email: jane@acme.com
            groups:
              - engineering
              - sales
        courses:
          - title: Security Awareness 101
            published:
              slug: security-101
        """
    )


def test_values_are_written_as_they_were(tmp_path: Path) -> None:
    long_text = "A long description that goes on well past any line length a formatter might pick. " * 3
    text = f"""
    enrollments:
      - course: 'Security Awareness 101'
        users: ["jane@acme.com", bob@acme.com]
        active: True
        expires_at: 2027-06-30T00:00:00Z
    courses:
      - title: Security Awareness 101
        long_description: {long_text.strip()}
        sequential_navigation: ~
        labels: [compliance,security]
    webhooks:
      - url: https://hooks.acme.example/lms
        basic_auth_password: ${{LMSFORM_HOOK_PASSWORD}}
    """
    assert formatted(tmp_path, text) == expected(
        f"""
        courses:
          - title: Security Awareness 101
            long_description: {long_text.strip()}
            sequential_navigation: ~
            labels: [compliance, security]
        enrollments:
          - course: 'Security Awareness 101'
            users: ["jane@acme.com", bob@acme.com]
            active: True
            expires_at: 2027-06-30T00:00:00Z
        webhooks:
          - url: https://hooks.acme.example/lms
            basic_auth_password: ${{LMSFORM_HOOK_PASSWORD}}
        """
    )


def test_trailing_whitespace_and_missing_final_newline_are_fixed(tmp_path: Path) -> None:
    make_project(tmp_path, {})
    path = tmp_path / "groups.yaml"
    path.write_text("groups:   \n  - name: sales    # the team   \n\n\n  - name: ops", encoding="utf-8")
    format_project(tmp_path, check=False)
    assert path.read_text(encoding="utf-8") == "groups:\n  - name: sales    # the team\n\n\n  - name: ops\n"


def test_a_document_start_marker_and_the_comments_before_it_are_kept(tmp_path: Path) -> None:
    text = """
    # people
    ---
    users:
    - email: jane@acme.com
    """
    assert formatted(tmp_path, text) == "# people\n---\nusers:\n  - email: jane@acme.com\n"


def test_empty_and_comment_only_files(tmp_path: Path) -> None:
    make_project(tmp_path, {"empty.yaml": "", "notes.yaml": "# nothing declared yet   \n\n"})
    result = format_project(tmp_path, check=False)
    assert result.changed == (tmp_path / "notes.yaml",)
    assert (tmp_path / "empty.yaml").read_text(encoding="utf-8") == ""
    assert (tmp_path / "notes.yaml").read_text(encoding="utf-8") == "# nothing declared yet\n"


# --- check mode, idempotence, files left alone ----------------------------------------------------

UNFORMATTED = """
users:
- first_name: Jane   # given name
  email: jane@acme.com
"""


def test_check_reports_the_files_that_would_change_and_writes_nothing(tmp_path: Path) -> None:
    make_project(tmp_path, {"people/staff.yaml": UNFORMATTED, "groups.yaml": "groups:\n  - name: sales\n"})
    before = snapshot(tmp_path)
    result = format_project(tmp_path, check=True)
    assert result.changed == (tmp_path / "people" / "staff.yaml",)
    assert result.skipped == ()
    assert snapshot(tmp_path) == before


def test_formatting_writes_the_changed_files_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    make_project(tmp_path, {"people/staff.yaml": UNFORMATTED})
    first = format_project(tmp_path, check=False)
    assert first.changed == (tmp_path / "people" / "staff.yaml",)
    after_first = snapshot(tmp_path)
    assert format_project(tmp_path, check=False).changed == ()
    assert format_project(tmp_path, check=True).changed == ()
    assert snapshot(tmp_path) == after_first


@pytest.mark.parametrize(
    "text",
    [
        UNFORMATTED,
        "courses:\n- published:\n    hidden: true\n    # tail\n  title: A  # t\n# end\n",
        "# head\ngroups:\n- name: a\n  # b lead\n\n\n- members: [x@acme.com]  # m\n  name: b\n"
        "# c\nusers: []\n",
        "users:\n  # first\n  - last_name: Doe\n    # email lead\n    email: a@acme.com  # e\n    # tail\n",
    ],
)
def test_formatting_is_idempotent(tmp_path: Path, text: str) -> None:
    once = formatted(tmp_path, text)
    assert formatted(tmp_path, once) == once


def test_files_with_yaml_syntax_errors_are_skipped_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    broken = "users:\n- email: jane@acme.com\n  first_name: [Jane\n"
    make_project(tmp_path, {"broken.yaml": broken, "good.yaml": UNFORMATTED})
    result = format_project(tmp_path, check=False)
    assert [path for path, _ in result.skipped] == [tmp_path / "broken.yaml"]
    reason = result.skipped[0][1]
    assert reason.startswith("broken.yaml:4:1: YAML syntax error")
    assert (tmp_path / "broken.yaml").read_text(encoding="utf-8") == broken
    assert result.changed == (tmp_path / "good.yaml",)


def test_files_that_are_not_utf8_are_skipped_untouched(tmp_path: Path) -> None:
    make_project(tmp_path, {})
    path = tmp_path / "groups.yaml"
    path.write_bytes(b"groups:\n- name: caf\xe9\n")
    result = format_project(tmp_path, check=False)
    assert [skipped for skipped, _ in result.skipped] == [path]
    assert "not UTF-8" in result.skipped[0][1]
    assert path.read_bytes() == b"groups:\n- name: caf\xe9\n"


def test_windows_line_endings_are_normalised(tmp_path: Path) -> None:
    make_project(tmp_path, {})
    path = tmp_path / "groups.yaml"
    path.write_bytes(b"groups:\r\n  - name: sales  # the team\r\n")
    assert format_project(tmp_path, check=False).changed == (path,)
    assert path.read_bytes() == b"groups:\n  - name: sales  # the team\n"


def test_a_file_that_cannot_keep_its_comments_is_skipped_untouched(tmp_path: Path) -> None:
    """ruamel drops a comment inside a multi-line flow list; fmt refuses rather than lose it."""
    text = "groups:\n  - name: sales\n    members: [a@acme.com,  # the lead\n      b@acme.com]\n"
    make_project(tmp_path, {"groups.yaml": text})
    result = format_project(tmp_path, check=False)
    assert [path for path, _ in result.skipped] == [tmp_path / "groups.yaml"]
    assert "lose a comment" in result.skipped[0][1]
    assert (tmp_path / "groups.yaml").read_text(encoding="utf-8") == text


def test_only_the_project_files_are_formatted(tmp_path: Path) -> None:
    make_project(tmp_path, {".lmsform/sandbox/state.yaml": UNFORMATTED, "notes.txt": UNFORMATTED})
    before = snapshot(tmp_path)
    assert format_project(tmp_path, check=False).changed == ()
    assert snapshot(tmp_path) == before


def test_a_folder_without_lmsform_yaml_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"no lmsform\.yaml here"):
        format_project(tmp_path, check=False)


# --- the examples keep their meaning ------------------------------------------------------------


@pytest.mark.parametrize("example", ["quickstart", "skilljar"])
def test_formatting_an_example_changes_nothing_it_declares(tmp_path: Path, example: str) -> None:
    root = tmp_path / example
    copy_example(example, root)
    before = meaning(load(root))
    format_project(root, check=False)
    assert meaning(load(root)) == before
    assert format_project(root, check=True).changed == ()


def test_formatting_a_scrambled_project_changes_nothing_it_declares(tmp_path: Path) -> None:
    """The skilljar example with every entry's keys reversed and written unindented."""
    root = tmp_path / "skilljar"
    copy_example("skilljar", root)
    for path in root.rglob("*.yaml"):
        path.write_text(scrambled(path.read_text(encoding="utf-8")), encoding="utf-8")
    before = meaning(load(root))
    result = format_project(root, check=False)
    assert result.skipped == ()
    assert len(result.changed) > 1
    assert meaning(load(root)) == before
    assert format_project(root, check=True).changed == ()


def load(root: Path) -> Project:
    return load_project(root, providers=registry(), environ={"LMSFORM_ACME_HOOK_PASSWORD": "x"})


def meaning(project: Project) -> dict[str, Any]:
    """What a project declares, without where it says it (formatting moves lines)."""
    desired = project.desired
    return {
        "config": project.config,
        "settings": project.settings,
        "resources": sorted(
            (r.kind, r.key, repr(dict(r.fields)), repr(dict(r.ids)), r.previously, repr(dict(r.secrets)))
            for r in desired
        ),
        "absent": sorted(desired.absent),
        "scopes": {kind: sorted(keys) for kind, keys in desired.scopes.items()},
        "expansions": sorted((e.kind, e.group, repr(dict(e.make_fields))) for e in desired.expansions),
    }


def snapshot(root: Path) -> dict[Path, bytes]:
    return {path: path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def scrambled(text: str) -> str:
    """The same YAML with each list item's keys in reverse order and lists unindented (block style)."""
    from io import StringIO

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = YAML()
    yaml.indent(mapping=4, sequence=2, offset=0)
    data = yaml.load(text)

    def reverse(node: Any) -> None:
        if isinstance(node, CommentedSeq):
            for item in node:
                reverse(item)
        elif isinstance(node, CommentedMap):
            for key in reversed(list(node)):
                node.move_to_end(key)
                reverse(node[key])

    reverse(data)
    stream = StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def test_the_committed_examples_are_formatted(cli: CliRunnerCall) -> None:
    for example in ("quickstart", "skilljar", "damstra"):
        result = cli("fmt", Path(__file__).parent.parent / "examples" / example, "--check")
        assert result.exit_code == 0, result.output


def test_formatting_keeps_the_escapes_of_characters_a_manifest_may_not_show(tmp_path: Path) -> None:
    """A name that spells an invisible or decomposed character as an escape (what export writes for
    names the vendor holds) keeps its escapes: written as itself, the file would be refused."""
    root = tmp_path / "project"
    copy_example("quickstart", root)
    (root / "odd.yaml").write_text(
        'groups:\n  -   name: "ad\\u200bmins"\n  - name: "Zo\\u0308e"\n', encoding="utf-8"
    )

    format_project(root, check=False)

    assert (root / "odd.yaml").read_text(encoding="utf-8") == (
        'groups:\n  - name: "ad\\u200bmins"\n  - name: "Zo\\u0308e"\n'
    )
    assert load(root).desired.get("groups", ("ad\u200bmins",)) is not None
