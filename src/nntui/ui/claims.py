"""The lesson's claims, each with ✓ / ✗ as training reaches it and the numbers that decided it."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ..claims import Check, Verdict
from .palette import CLAIM_STYLES


def claim_lines(checks: tuple[Check, ...], verdicts: tuple[Verdict | None, ...]) -> Text:
    """One entry a claim: its mark, when it is judged, what the lesson says and, once judged, what was measured."""
    text = Text()
    for k, check in enumerate(checks):
        verdict = verdicts[k] if k < len(verdicts) else None
        state = "waiting" if verdict is None else "passed" if verdict.passed else "failed"
        mark = {"waiting": "○", "passed": "✓", "failed": "✗"}[state]
        when = "at the end" if check.at is None else f"at step {check.at}"
        if k:
            text.append("\n")
        text.append(f"{mark} ", CLAIM_STYLES[state])
        text.append(check.say, "" if verdict is not None else "dim")
        text.append(f"  {when}" if verdict is None else f"  {verdict.shown}", "dim" if verdict is None else
                    CLAIM_STYLES[state])
    return text


class ClaimList(Static):
    """Under the beat: the lesson's claims; redrawn only when a verdict changes."""

    def __init__(self, checks: tuple[Check, ...], **kwargs) -> None:
        super().__init__(claim_lines(checks, ()), **kwargs)
        self.checks = checks
        self._shown: tuple[Verdict | None, ...] = ()

    def on_mount(self) -> None:
        self.border_title = "Claims"

    def show(self, verdicts: tuple[Verdict | None, ...]) -> None:
        if verdicts != self._shown:
            self._shown = verdicts
            self.update(claim_lines(self.checks, verdicts))
