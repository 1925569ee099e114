"""An apply during which one write's answer is lost: the vendor did the work, the answer never came."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lmsform.providers.emulation.server import EmulatorServer, RecordedRequest
from tests.conftest import CliRunnerCall, api_calls


@dataclass(frozen=True)
class LostAnswer:
    """The apply's calls, and which of them lost its answer."""

    calls: list[RecordedRequest]
    index: int

    @property
    def lost(self) -> RecordedRequest:
        return self.calls[self.index]

    @property
    def after(self) -> list[RecordedRequest]:
        return self.calls[self.index + 1 :]


def apply_losing_one_answer(
    server: EmulatorServer, project: Path, cli: CliRunnerCall, method: str, path: str
) -> LostAnswer:
    """Apply `project` while the first `method` call whose path fully matches `path` (a regex) loses
    its answer. The apply must succeed and the next plan be empty."""
    server.recorder.drop_answers(method, path, 1)
    before = len(server.requests)
    applied = cli("apply", project, "--auto-approve")
    assert applied.exit_code == 0, applied.output
    calls = api_calls(server, since=before)
    [index] = [index for index, call in enumerate(calls) if call.dropped]
    assert calls[index].method == method and re.fullmatch(path, calls[index].path)
    assert calls[index].status < 300  # the vendor did the work; only the answer was lost
    planned = cli("plan", project, "--detailed-exitcode")
    assert planned.exit_code == 0, planned.output
    return LostAnswer(calls, index)
