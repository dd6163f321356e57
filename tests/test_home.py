"""The home screen (lesson picker), Escape back to it, and the command palette's lesson switch."""

from __future__ import annotations

from textual import events
from textual.command import CommandInput

from nntui.scenario import list_builtin, load
from nntui.ui.app import NNTuiApp
from nntui.ui.screens.home import HomeApp, entries, layout_preview

from .conftest import wait_idle


def option_ids(app) -> list[str]:
    options = app.query_one("#lessons")
    return [options.get_option_at_index(i).id for i in range(options.option_count)
            if options.get_option_at_index(i).id]


async def test_every_lesson_is_listed_and_typing_filters():
    app = HomeApp()
    async with app.run_test(size=(120, 40)) as pilot:
        assert option_ids(app) == [i.name for i in list_builtin()]
        await pilot.press(*"relu")
        ids = option_ids(app)
        assert "dead_relu" in ids and "lr_sweep" not in ids and len(ids) < 10
        await pilot.press(*" dead")  # every word must match
        assert option_ids(app) == ["dead_relu"]
        await pilot.press("enter")
    assert app.return_value == "dead_relu"


def burst(app, *keys: str) -> None:
    """Keys as a terminal delivers them over SSH: all at once, before the app has handled the first."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else {"backspace": "\x7f"}.get(key)))


async def test_a_burst_of_keys_with_backspace_is_typed_in_order():
    app = HomeApp()
    async with app.run_test(size=(120, 40)) as pilot:
        burst(app, "r", "x", "backspace", "e", "l", "left", "left", "backspace", "u")  # r x ⌫ e l ← ← ⌫ u
        await pilot.pause()
        assert app.query_one("#filter").value == "uel"
        burst(app, "home", "delete", "delete", "r", "e", "end", "u")
        await pilot.pause()
        assert app.query_one("#filter").value == "relu" and "dead_relu" in option_ids(app)


async def test_arrows_move_and_escape_quits():
    app = HomeApp(selected="lr_sweep")
    async with app.run_test(size=(100, 30)) as pilot:
        options = app.query_one("#lessons")
        assert options.get_option_at_index(options.highlighted).id == "lr_sweep"
        await pilot.press("down")
        assert options.get_option_at_index(options.highlighted).id == "batch_size"
        assert "Batch size" in str(app.query_one("#about").render())
        await pilot.press("escape")
    assert app.return_value is None


async def test_no_match_says_so():
    app = HomeApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"zzzz")
        assert option_ids(app) == []
        await pilot.press("enter")  # nothing to open: stays
        assert app.is_running


async def test_escape_in_a_lesson_goes_home_after_restoring_a_zoomed_panel():
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=2, home=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        app.query_one("#loss").focus()
        await pilot.press("m")
        assert app.screen.maximized is not None
        await pilot.press("escape")
        assert app.screen.maximized is None and app.is_running
        await pilot.press("escape")
    assert app.return_value == "home"


async def test_palette_lists_lessons_and_opening_one_exits_with_it():
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=1, home=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {f"Lesson: {i.title}" for i in list_builtin()} <= set(commands)
        assert "Panel: show / hide lesson" in commands and "Theme: light" in commands
        commands["Panel: show / hide lesson"].callback()
        assert not app.query_one("#lesson").display
        await pilot.press("ctrl+p")
        burst(app, "d", "x", "backspace", "e", "a", "d")  # the palette's search keeps keys in order too
        await pilot.pause()
        assert app.screen.query_one(CommandInput).value == "dead"
        await pilot.press("escape")
        commands["Lesson: Dead ReLUs: units that never fire again"].callback()
        await pilot.pause()
    assert app.return_value == "open:dead_relu"


def test_layout_preview_sketches_the_panels():
    text = layout_preview(("boundary", "histograms", "loss", "variants", "lesson")).plain
    assert "boundary" in text and "histograms" in text and "variants" in text and "lesson" in text
    assert text.splitlines()[0].count("┌") == 2  # boundary spans the first row; the lesson sits beside it


def test_home_snapshot(snap_compare):
    assert snap_compare(HomeApp(), terminal_size=(120, 40))


def test_the_preview_lays_out_small_multiples_as_the_app_does():
    entry = next(e for e in entries() if e.info.name == "vanishing_gradients")
    text = layout_preview(entry.panels).plain.splitlines()
    assert "loss" in text[0] and text[0].count("┌") == 2  # loss spans a row (and the lesson sits beside it)
    assert text[3].count("┌ gradient_fl") == 2  # the two runs' gradient flows side by side (names cut to fit)


async def test_opening_a_lesson_from_the_palette_warns_once_before_edits_are_lost():
    # was: the edits dropped with no warning, where Escape warns (issue 30)
    from nntui.scenario.edit import with_variant

    app = NNTuiApp(with_variant(load("lr_sweep"), 0, {"train.lr": 0.002}), device="cpu", run_steps=1, home=True,
                   questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        open_dead_relu = {c.title: c for c in app.get_system_commands(app.screen)}[
            "Lesson: Dead ReLUs: units that never fire again"].callback
        open_dead_relu()
        await pilot.pause()
        assert app.is_running and "not saved" in str(list(app._notifications)[-1].message)
        open_dead_relu()  # asked twice: go
        await pilot.pause()
    assert app.return_value == "open:dead_relu"


def test_a_wide_plot_takes_a_row_of_its_own_in_the_app_and_the_preview():
    from nntui.panels import plot_rows

    assert plot_rows(3) == [[0], [1, 2]]  # an odd first plot: a row of its own
    assert plot_rows(2, wide=[0]) == [[0], [1]]  # a wide plot over another: each its own row
    assert plot_rows(4, wide=[1]) == [[0], [1], [2, 3]]  # a plot left alone in its row takes the row
    entry = next(e for e in entries() if e.info.name == "momentum")
    text = layout_preview(entry.panels, wide=entry.wide).plain.splitlines()
    # the map beside the contour, the loss alone across the row under them (the lesson beside them)
    assert "┌ momentum_ma" in text[0] and "┌ contour" in text[0]
    assert "loss" in text[3] and text[3].count("┌") == 1
