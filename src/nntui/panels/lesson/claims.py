"""The lesson's claims, each with ✓ / ✗ as training reaches it and the numbers that decided it."""

from __future__ import annotations

import re

from rich.text import Text
from textual.widgets import Static

from ...claims import Check, Verdict
from ...ui.draw.palette import CLAIM_STYLES


def claim_lines(checks: tuple[Check, ...], verdicts: tuple[Verdict | None, ...], question: int | None = None,
                compact: bool = False) -> Text:
    """One entry a claim: its mark, when it is judged, what the lesson says and, once judged, what was measured
    (`compact`, in a short window: the mark and what the lesson says only, so the text keeps its rows).
    Claims about the step of an open `question` or later are not shown yet: they would answer it."""
    text = Text()
    held = [k for k, check in enumerate(checks) if question is not None and (check.at is None or check.at >= question)]
    for k, check in enumerate(checks):
        if k in held:
            continue
        if k:
            text.append("\n")
        _claim_line(text, check, verdicts[k] if k < len(verdicts) else None, compact)
    if held:
        more = "more " if len(held) < len(checks) else ""
        text.append(("\n" if more else "") + f"○ {len(held)} {more}claims, shown after the question at step {question}",
                    "dim")
    return text


def _claim_line(text: Text, check: Check, verdict: Verdict | None, compact: bool) -> None:
    """A claim's mark, what the lesson says, and when it is judged or what decided it (`compact`: the numbers
    only where they are short)."""
    state = "waiting" if verdict is None else "passed" if verdict.passed else "failed"
    mark = {"waiting": "○", "passed": "✓", "failed": "✗"}[state]
    when = "at the end" if check.at is None else f"at step {check.at}"
    when = "" if when in check.say else f"  (judged {when})"  # (not "… still dead at the end  at the end")
    text.append(f"{mark} ", CLAIM_STYLES[state])
    text.append(check.say, "" if verdict is not None else "dim")
    if not compact:
        text.append(when if verdict is None else f"  {verdict.shown}", "dim" if verdict is None else
                    CLAIM_STYLES[state])
    elif verdict is not None and (short := _short_evidence(verdict.shown)):
        text.append(f"  {short}", CLAIM_STYLES[state])


SHORT_EVIDENCE = 22  # cells: "weight = 1.892", "0.6314 > 2 × 0.188" keep their place in a 24-row window
_COMPARISON = re.compile(r" (<=|>=|<|>) ")
_BOUND = re.compile(r", (under|over|at most|at least) \S+$")  # claims.py's words for a distance's bound


def _short_evidence(shown: str) -> str:
    """What a short window keeps of a verdict, the first of these that is short: its named quantities ("weight =
    1.892") where neither side names its own, its comparison ("40 < 137", "dead in layer 3: 0.47 >= 0.4"), then
    each side cut to what decides it: a left side's value, a right side's arithmetic ("0.6314 > 2 × 0.188") or
    its value ("280 < 600"). Without any, the claims' numbers were gone from every 80x24 screen (issue 27)."""
    near, said, off = shown.partition(": ")  # 'weight = 1.89212: 8.262e-05 from 1.8922, under 0.001': the value
    if said and " from " in off and _BOUND.search(off):  # (against the claim's own words "w reaches 1.8922")
        return near if len(near) <= SHORT_EVIDENCE else ""
    head, paren, rest = shown.partition(" (")
    named = rest[:-1] if paren and shown.endswith(")") else ""
    sides = _COMPARISON.split(head)
    if len(sides) != 3:
        return next((form for form in (named, head) if form and len(form) <= SHORT_EVIDENCE), "")
    left, op, right = sides
    forms = [named] if not (_names_itself(left) or _names_itself(right)) else []
    forms.append(head)
    if left.startswith("|"):  # a difference says what its number is: '|0.4835 − 0.4835| = 0', not '0 < 0.001'
        forms.append(left)
    if " = " in left and not _names_itself(left):  # arithmetic shown whole: '4 × 10 = 40 < 127' says the 10×
        forms.append(f"{left} {op} {_value(right)}")
    forms += [f"{_value(left)} {op} {_sum(right)}", f"{_value(left)} {op} {_value(right)}"]
    return next((form for form in forms if form and len(form) <= SHORT_EVIDENCE), "")


def _names_itself(side: str) -> bool:
    """A side written as a named quantity ('xavier: val loss = 0.188', 'loss: 0.4'), not arithmetic or a number."""
    return ": " in side or bool(_WORD.search(side.rpartition(" = ")[0]))


def _value(side: str) -> str:
    """A side's number: '0.188' of 'xavier: val loss = 0.188', '40' of '10 × 4 = 40', '280' of 'step: 280'."""
    return side.rsplit(" = ", 1)[-1].rsplit(": ", 1)[-1]


def _sum(side: str) -> str:
    """A side's arithmetic without its result ('2 × 0.188' of '2 × 0.188 = 0.376'); a named side's value."""
    return _value(side) if _names_itself(side) else side.split(" = ")[0]


_WORD = re.compile(r"[A-Za-z]{2}")


class ClaimList(Static):
    """Under the beat: the lesson's claims; redrawn only when a verdict changes."""

    def __init__(self, checks: tuple[Check, ...], **kwargs) -> None:
        super().__init__(claim_lines(checks, ()), **kwargs)
        self.checks = checks
        self._shown: tuple = ()

    def on_mount(self) -> None:
        self.border_title = "Claims"

    def reshow(self) -> None:
        """The window changed: the same verdicts, compact or in full."""
        if self._shown:
            self.show(*self._shown[:2])

    def show(self, verdicts: tuple[Verdict | None, ...], question: int | None = None) -> None:
        compact = self.screen.has_class("-short")  # 24 rows: the measured numbers would push the text off
        if (verdicts, question, compact) != self._shown:
            self._shown = (verdicts, question, compact)
            self.update(claim_lines(self.checks, verdicts, question, compact))
