"""Plans, drift reports and apply results for people (text, Markdown) and machines (JSON).

Rendering only formats: it decides nothing. Text and Markdown can mask learners' personal data
(`output.redact: emails`: e-mail addresses become keyed pseudonyms, see `redaction`); JSON keeps keys
exact, since the applier needs them. Markdown can be made to fit a size (`CommentLimit`).

Every format shows untrusted text (names from manifests and vendors, vendor messages, a saved plan's
contents) so that it cannot restyle, hide or reorder what is around it nor start a line of its own:
text as escapes (`shown_inline`), Markdown escaped further for its syntax. JSON keeps every value
exact: it writes the characters a terminal would act on as JSON escapes, which read back the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from lmsform.characters import shown_escaped
from lmsform.journal import Cause
from lmsform.output.markdown import CommentLimit, plan_markdown
from lmsform.output.redaction import Redactor
from lmsform.output.text import plan_text
from lmsform.plan import Plan

Format = Literal["text", "markdown", "json"]
Report = Literal["plan", "drift"]
FORMATS = ("text", "markdown", "json")


def render(
    plan: Plan,
    output_format: str,
    *,
    title: str,
    redact: str,
    report: Report = "plan",
    document: Mapping[str, Any] | None = None,
    causes: Mapping[str, Cause] | None = None,
    limit: CommentLimit | None = None,
) -> str:
    """`document` is the plan's JSON to print for `json` (with project and output settings); `causes`
    a drift report's known causes by address (JSON gives every change's, null when not known);
    `limit` a size the Markdown must fit (a pull-request comment's)."""
    if output_format == "json":
        data = dict(document if document is not None else plan.to_json())
        data["report"] = report
        if report == "drift":
            data["changes"] = [_with_cause(change, causes or {}) for change in data["changes"]]
        # json.dumps escapes C0 controls only: C1 controls, DEL, bidi and invisible characters too.
        return shown_escaped(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"
    redactor = Redactor(redact)
    if output_format == "markdown":
        return plan_markdown(plan, title=title, redactor=redactor, report=report, causes=causes, limit=limit)
    return plan_text(plan, title=title, redactor=redactor, report=report, causes=causes)


def _with_cause(change: Mapping[str, Any], causes: Mapping[str, Cause]) -> dict[str, Any]:
    cause = causes.get(str(change["address"]))
    return {**change, "cause": cause.value if cause is not None else None}
