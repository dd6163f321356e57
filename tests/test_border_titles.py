"""A changed border title or subtitle repaints its border row alone, and the screen then shows it."""

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import Static

from nntui.ui.app import NNTuiApp  # noqa: F401  (installs the patches, as the app does)
from nntui.ui.patches import border_titles
from nntui.ui.patches.textual_patch import WRITTEN_FOR


class Boxed(App):
    CSS = "Static { border: round white; height: 8; width: 40; }"

    def compose(self) -> ComposeResult:
        yield Static("body", id="box")


async def test_a_changed_subtitle_repaints_its_row_and_the_screen_shows_it():
    assert border_titles.install()
    app = Boxed()
    async with app.run_test(size=(60, 12)) as pilot:
        box = app.query_one("#box", Static)
        box.border_title, box.border_subtitle = "old title", "old subtitle"
        await pilot.pause()
        calls = []
        refresh = box.refresh
        box.refresh = lambda *regions, **kw: (calls.append(regions), refresh(*regions, **kw))[1]
        box.border_subtitle = "new subtitle"
        box.border_title = "new title"
        await pilot.pause()
        offset = box.content_offset
        # one row each, relative to the content: the bottom border row, then the top one
        assert calls == [(Region(-offset.x, 7 - offset.y, 40, 1),), (Region(-offset.x, -offset.y, 40, 1),)]
        screen = app.export_screenshot().replace("&#160;", " ")
        assert "new subtitle" in screen and "new title" in screen
        assert "old subtitle" not in screen and "old title" not in screen
        assert "body" in screen


def test_installed_only_on_the_textual_it_was_written_for():
    from textual.widget import _BorderTitle

    assert not border_titles.install("0.0.1")
    assert border_titles.install(WRITTEN_FOR)
    assert _BorderTitle.__set__ is border_titles._set
