"""The help screen: every key binding, generated from the app's own bindings."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ..draw.palette import KEY_STYLE


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "Close")]

    def __init__(self, bindings: list[tuple[str, str]], about: str):
        super().__init__()
        self.rows = bindings
        self.about = about

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style=KEY_STYLE, justify="right")
        table.add_column()
        for key, what in self.rows:
            table.add_row(key, what)
        with Vertical():
            yield Static(f"[b]Keys[/b]  ·  {self.about}\n")
            yield Static(table)
            yield Static("\n[dim]Esc or ? closes this help.[/dim]")
