"""The home screen: every built-in lesson grouped by topic, filtered as you type, with a preview.

`nntui` with no arguments opens it. Enter opens the highlighted lesson (the
app then runs it; Escape there comes back here), Escape or q here quits.
Reading the list is cheap: only each file's [scenario] and [view] tables.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from ...panels import DEFAULT_PANELS, GRAPH_LESSON_PANELS, panel, plot_rows
from ...scenario import BuiltinInfo, builtin_dir, list_builtin
from .. import STYLESHEET
from ..base import BaseApp
from ..draw.palette import NAME_STYLE
from ..patches.ordered_keys import install as install_ordered_keys

install_ordered_keys()  # Backspace typed in a burst acts where it was typed


@dataclass(frozen=True)
class Entry:
    info: BuiltinInfo
    panels: tuple[str, ...]
    variants: int
    wide: tuple[str, ...] = ()  # panels that take a whole row (view.wide)

    def matches(self, words: list[str]) -> bool:
        text = f"{self.info.name} {self.info.title} {self.info.summary} {self.info.topic}".lower()
        return all(w in text for w in words)


def entries() -> list[Entry]:
    out = []
    for info in list_builtin():
        raw = tomllib.loads((builtin_dir() / f"{info.name}.toml").read_text(encoding="utf-8"))
        view = raw.get("view", {})
        shown = view.get("panels", GRAPH_LESSON_PANELS if "expression" in raw else DEFAULT_PANELS)
        runs = view.get("runs", {})  # small multiples: that panel once per listed run
        panels = tuple(name for p in shown for name in [p] * max(len(runs.get(p, ())), 1))
        variants = max(len(raw.get("variant", [])), 1)
        for values in raw.get("sweep", {}).values():
            variants *= max(len(values), 1)
        out.append(Entry(info, panels, variants, tuple(view.get("wide", ()))))
    return out


def layout_preview(panels: tuple[str, ...], width: int = 44, wide: tuple[str, ...] = ()) -> Text:
    """A sketch of the screen the lesson opens: the plot grid as the app lays it out, the variants table under it,
    the lesson on the right."""
    plots = [p for p in panels if not panel(p).frame]
    left = width - (14 if "lesson" in panels else 0)
    rows = [[plots[k] for k in row] for row in plot_rows(len(plots), [k for k, p in enumerate(plots) if p in wide])]
    if "variants" in panels:
        rows.append(["variants"])
    lines: list[str] = []
    for row in rows:
        cell = left // len(row)
        lines.append("".join(f"┌ {name[:cell - 4]} ".ljust(cell - 1, "─") + "┐" for name in row))
        lines.append("".join("│" + " " * (cell - 2) + "│" for _ in row))
        lines.append("".join("└" + "─" * (cell - 2) + "┘" for _ in row))
    if "lesson" in panels:
        side = ["┌ lesson ───┐"] + ["│           │"] * max(len(lines) - 2, 1) + ["└───────────┘"]
        lines = [f"{a:<{left}} {b}" for a, b in zip(lines + [""] * (len(side) - len(lines)), side)]
    return Text("\n".join(lines), style="dim")


class HomeApp(BaseApp, App[str | None]):
    """Pick a lesson; the app's result is its name (None: quit)."""

    TITLE = "nntui"
    CSS_PATH = STYLESHEET
    BINDINGS = [
        Binding("escape", "quit_home", "Quit"),
        Binding("enter", "open", "Open", priority=True),
        Binding("down", "move(1)", "Down", show=False, priority=True),
        Binding("up", "move(-1)", "Up", show=False, priority=True),
    ]

    def __init__(self, selected: str | None = None):
        super().__init__()
        self.entries = entries()
        self.selected = selected  # highlight the lesson we came back from

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("nntui", "bold"), "  watch neural networks learn · type to filter, ↑↓ choose, "
                                   "Enter opens, Esc quits"), id="head")
        search = Input(placeholder="filter: e.g. relu, batch, contour…", id="filter")
        search.cursor_blink = False  # steady on a projector, and in snapshots
        yield search
        with Horizontal():
            yield OptionList(id="lessons")
            with Vertical(id="preview"):
                yield Static(id="about")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#lessons", OptionList).border_title = "Lessons"
        self.query_one("#preview").border_title = "Preview"
        self._fill("")
        self.query_one("#filter", Input).focus()

    def _fill(self, text: str) -> None:
        words = text.lower().split()
        options = self.query_one("#lessons", OptionList)
        options.clear_options()
        topic = None
        first = None
        width = max(len(e.info.name) for e in self.entries) + 2  # titles line up in one column
        for entry in self.entries:
            if not entry.matches(words):
                continue
            if entry.info.topic != topic:
                topic = entry.info.topic
                options.add_option(Option(Text(topic, style="bold"), disabled=True))
            row = Text.assemble((f"  {entry.info.name:<{width}}", NAME_STYLE), entry.info.title, no_wrap=True,
                                overflow="ellipsis")
            options.add_option(Option(row, id=entry.info.name))
            if first is None or entry.info.name == self.selected:
                first = entry.info.name
        if first is None:
            options.add_option(Option(Text("  no lesson matches; Backspace to widen the filter", style="italic"),
                                      disabled=True))
            self._show(None)
            return
        options.highlighted = options.get_option_index(first)
        self._show(first)

    def _show(self, name: str | None) -> None:
        about = self.query_one("#about", Static)
        entry = next((e for e in self.entries if e.info.name == name), None)
        if entry is None:
            about.update("")
            return
        info = entry.info
        about.update(Text.assemble(
            (info.title, "bold"), "\n\n", info.summary, "\n\n",
            (f"{info.topic} · {entry.variants} run{'s' * (entry.variants != 1)} · {info.name}", "dim"), "\n\n",
            layout_preview(entry.panels, wide=entry.wide)))

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self._show(event.option.id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.exit(event.option.id)

    def action_move(self, delta: int) -> None:
        """↑↓ move the highlight even while the filter has focus (skipping the topic rows)."""
        options = self.query_one("#lessons", OptionList)
        options.action_cursor_down() if delta > 0 else options.action_cursor_up()

    def action_open(self) -> None:
        options = self.query_one("#lessons", OptionList)
        if options.highlighted is not None:
            option = options.get_option_at_index(options.highlighted)
            if option.id:
                self.exit(option.id)

    def action_quit_home(self) -> None:
        self.exit(None)
