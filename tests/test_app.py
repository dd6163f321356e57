"""Pilot tests: every key binding does what the footer says, while training runs."""

from __future__ import annotations

import asyncio
import dataclasses

from textual.events import Key

from nntui.commands import StepOnce
from nntui.panels.loss.widget import LossPlot
from nntui.scenario import load
from nntui.ui.app import NNTuiApp
from nntui.ui.screens.help import HelpScreen

from .conftest import wait_idle


def make_app(steps: int | None = None, **kwargs) -> NNTuiApp:
    kwargs.setdefault("device", "cpu")
    kwargs.setdefault("questions", False)  # these tests drive the controls; test_questions covers questions
    scenario = load("lr_sweep")
    return NNTuiApp(scenario.with_steps(steps) if steps else scenario, **kwargs)


async def test_space_toggles_play_and_pause():
    app = make_app(autoplay=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        assert not app.runner.playing and app.runner.view().step == 0
        await pilot.press("space")
        assert app.runner.playing
        await until(lambda: app.runner.view().step > 0)
        await pilot.press("space")
        assert not app.runner.playing
        await wait_idle(app, pilot)
        assert app.runner.view().step > 0


async def test_n_takes_exactly_one_step():
    app = make_app(run_steps=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        assert app.runner.view().step == 10
        await pilot.press("n")
        await wait_idle(app, pilot)
        assert app.runner.view().step == 11
        assert not app.runner.playing


async def test_r_resets_to_step_zero():
    app = make_app(run_steps=40)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        first_losses = [r.losses[:40].copy() for r in app.runner.view().runs]
        await pilot.press("r")
        await wait_idle(app, pilot)
        view = app.runner.view()
        assert view.step == 0 and all(len(r.losses) == 0 for r in view.runs)
        await pilot.press("n", "n")
        await wait_idle(app, pilot)
        view = app.runner.view()
        assert view.step == 2
        assert all(r.losses[:2].tolist() == f[:2].tolist() for r, f in zip(view.runs, first_losses))


async def test_plus_and_minus_change_speed():
    app = make_app(autoplay=False)
    async with app.run_test(size=(120, 40)) as pilot:
        start = app.runner.speed
        await pilot.press("plus")
        assert app.runner.speed > start
        await pilot.press("minus", "minus")
        assert app.runner.speed < start
        for _ in range(20):
            await pilot.press("plus")
        assert app.runner.speed is None  # max
        assert "speed max" in app.query_one("RunHeader").status_text


async def test_l_toggles_log_scale():
    app = make_app(run_steps=20)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        plot = app.query_one(LossPlot)
        assert plot.log_y and "log" in str(plot.border_title)
        await pilot.press("l")
        assert not plot.log_y and "log" not in str(plot.border_title)


async def test_question_mark_opens_help_and_escape_closes_it():
    app = make_app(autoplay=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert ("space", "Play / pause training (after the end: replay)") in app.screen.rows
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def until(condition, timeout: float = 30.0) -> None:
    """Poll instead of sleeping a fixed time: a loaded CI machine can be slow to start training."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def wait_loaded(app) -> None:
    while app.runner.view().state == "loading":
        await asyncio.sleep(0.05)


async def test_q_quits_at_once_while_training_flat_out():
    # Pilot.press waits for an idle app, which a flat-out run never is: post the key instead.
    app = make_app(speed="max", steps=100_000)
    async with app.run_test(size=(120, 40)):
        await wait_loaded(app)
        await until(lambda: app.runner.view().step > 0)
        assert app.runner.playing
        loop = asyncio.get_running_loop()
        started = loop.time()
        app.post_message(Key("q", "q"))
        while app.is_running:
            assert loop.time() - started < 1.5, "quit took more than 1.5 s"
            await asyncio.sleep(0.01)
    assert not app.runner._thread.is_alive(), "the trainer stopped with the app"


async def test_keys_answer_while_training_runs_flat_out():
    app = make_app(speed="max", steps=100_000)
    async with app.run_test(size=(120, 40)):
        await wait_loaded(app)
        plot = app.query_one(LossPlot)
        loop = asyncio.get_running_loop()
        for _ in range(5):
            want = not plot.log_y
            started = loop.time()
            app.post_message(Key("l", "l"))
            while plot.log_y != want:
                assert loop.time() - started < 1.0, "key took more than 1 s while training"
                await asyncio.sleep(0.005)
        assert app.runner.playing


async def test_beats_follow_training():
    app = make_app(run_steps=230)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        beat = app.query_one("#beat")
        assert "step 229" in beat._markdown and "diverged" in beat._markdown
        table = app.query_one("VariantsTable")
        statuses = [table.cell(i, "status") for i in range(6)]
        # 0.0005 and 0.001 flat 0.04 above the best fit as drawn (loss above it), 0.005 still halving its distance
        assert statuses == ["stuck"] * 2 + ["learning"] + ["converged"] * 2 + ["diverged @229"]


async def test_a_run_still_falling_when_training_ends_says_so():
    # issue 27: "learning" beside "✓ done" read as a run not yet finished
    app = make_app(run_steps=300)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        table = app.query_one("VariantsTable")
        assert app.runner.view().finished and app.runner.view().runs[2].status == "learning"
        assert table.cell(2, "status") == "improving"


async def test_no_loss_is_shown_before_the_first_step():
    app = make_app(run_steps=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        table = app.query_one("VariantsTable")
        assert [table.cell(i, "loss") for i in range(6)] == ["—"] * 6  # not "NaN"
        assert [table.cell(i, "status") for i in range(6)] == ["waiting"] * 6


def test_step_axis_grows_in_steps_and_stops_at_the_end():
    from nntui.panels.loss.widget import x_extent

    assert [x_extent(s, 300) for s in (0, 12, 50, 120, 200, 300)] == [10, 20, 100, 200, 300, 300]
    assert x_extent(5, 3) == 3


async def test_loss_plot_log_and_linear_axes():
    app = make_app(run_steps=300)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        plot = app.query_one(LossPlot)

        def text() -> str:
            return "\n".join("".join(seg.text for seg in strip) for strip in plot._strips)

        # powers of ten up to the runs that did not diverge; lr=0.03 (3e5) leaves through the top with a ✗
        assert plot.log_y and "100" in text() and "1e5 ┤" not in text() and "✗" in text()
        await pilot.press("l")
        assert not plot.log_y and "1e5 ┤" not in text() and "✗" in text()  # clipped: ✗ on the top edge
        for _ in range(3):  # linear → log → linear → log
            await pilot.press("l")
        assert plot.log_y


async def test_s_saves_a_screenshot_and_tilde_smooths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(run_steps=5)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("s")
        await pilot.pause()
        shot = tmp_path / "nntui-lr_sweep-step5.svg"
        assert shot.is_file() and shot.read_text(encoding="utf-8").startswith("<svg")
        await pilot.press("s")  # the same step again (paused): a second picture, the first kept
        await pilot.pause()
        assert (tmp_path / "nntui-lr_sweep-step5-2.svg").is_file() and shot.is_file()
        plot = app.query_one(LossPlot)
        assert not plot.smooth
        await pilot.press("tilde")
        assert plot.smooth and "smooth" in str(plot.border_title)  # ("smoothed", or "smooth" in a narrow title)


async def test_no_color_and_a_light_theme(monkeypatch):
    from textual.filter import Monochrome

    monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(run_steps=5, theme="textual-light")
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_idle(app, pilot)
        assert app.no_color and any(isinstance(f, Monochrome) for f in app._filters)
        plot = app.query_one(LossPlot)
        light = plot.rich_style.bgcolor
        assert app.theme == "textual-light" and all(
            seg.style is None or seg.style.bgcolor is not None for strip in plot._strips for seg in strip)
        app.theme = "textual-dark"  # every panel redraws on the new background at once
        await pilot.pause()
        assert plot.rich_style.bgcolor != light
        assert plot._strips[0]._segments[-1].style.bgcolor == plot.rich_style.bgcolor


async def test_the_lesson_text_stays_put_as_beats_change_and_a_past_beat_fades():
    # the beat box is docked under the text: the text does not jump (and is not resent) when beats differ in length
    # (without the claims above the text: a claim's box grows by its numbers once it is judged)
    app = NNTuiApp(dataclasses.replace(load("lr_sweep"), checks=()), device="cpu", questions=False, run_steps=1)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        text, box = app.query_one("#text"), app.query_one("#beat")
        tops, heights = {text.region.y}, {box.size.height}
        for _ in range(3):  # past the beats at steps 3, 20 and 40, which differ in length
            for _ in range(15):
                app.runner.send(StepOnce())
            await wait_idle(app, pilot)
            tops.add(text.region.y)
            heights.add(box.size.height)
        assert app.runner.view().step == 46 and len(tops) == 1 and len(heights) > 1
        assert box.source.startswith("**▶ step 40**") and not box.has_class("-past")
        for _ in range(24):  # a tenth of lr_sweep's 300 steps after its step, the beat at 40 is past
            app.runner.send(StepOnce())
        await wait_idle(app, pilot)
        assert app.runner.view().step == 70 and box.has_class("-past") and box.source.startswith("*earlier, at step 40*")

async def test_a_resized_terminal_is_laid_out_again_both_ways():
    # The app's Resize event is handed on to the screen: a prevented default travelling with it left every
    # panel drawn at its old place (issue 30).
    app = make_app(run_steps=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        plot = app.query_one(LossPlot)
        wide = plot.region
        for width, height in ((80, 24), (160, 50)):
            await pilot.resize_terminal(width, height)
            await until(lambda size=(width, height): app.screen.size == size)
            await pilot.pause(0.1)
            assert app.screen.size == (width, height)
            footer = app.screen.query_one("Footer").region
            assert footer.y == height - 1 and footer.width == width  # the last row, the whole width
            assert plot.region.right <= width and plot.region.bottom <= height and plot.region != wide
        assert app.query_one(LossPlot).region.right > wide.right  # grown past the first layout


def test_a_set_speed_goes_on_from_now_after_a_stall_instead_of_a_burst(monkeypatch):
    # `kill -TSTP` for 10 s at speed 5, then CONT: about 50 steps came at once (the second attack, issue 30)
    from nntui import runner

    clock = [100.0]
    monkeypatch.setattr(runner.time, "perf_counter", lambda: clock[0])
    pace, step = runner.Pace(), 0
    for _ in range(10):  # a second at 5 steps/s
        clock[0] += 0.1
        step += pace.due(step, 5)
    assert 4 <= step <= 6
    clock[0] += 10.0  # stopped
    assert pace.due(step, 5) == 1  # one step now, then the pace again
    clock[0] += 0.1
    assert pace.due(step + 1, 5) == 0


async def test_plots_side_by_side_are_one_width_on_an_odd_width():
    # regularization at 200x60: fit panels 56 and 57 columns wide ticked the same data -2 / 0 / 2 and -2.5 / 0 / 2.5
    from nntui.ui.plot_grid import PlotGrid

    app = NNTuiApp(load("activations").with_steps(2), device="cpu", questions=False)
    async with app.run_test(size=(122, 40)) as pilot:
        await wait_idle(app, pilot)
        grid = app.query_one(PlotGrid)
        assert grid.size.width % 2 == 1, grid.size
        widths = {p.region.width for p in grid.plots if p.display and p.styles.column_span == 1}
        assert len(widths) == 1, widths
    # a page of one wide plot (optimizers' one surface at 80x24) takes the grid's whole width, not one column of two
    one = load("optimizers").with_steps(2)
    one = dataclasses.replace(one, view=one.view.model_copy(update={"runs": {}, "wide": ["contour"]}))
    app = NNTuiApp(one, device="cpu", questions=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_idle(app, pilot)
        grid = app.query_one(PlotGrid)
        assert [p.id for p in grid.plots if p.display] == ["contour"]
        assert grid.query_one("#contour").region.width == grid.size.width


async def test_a_grid_too_narrow_for_two_plots_shows_one_at_its_full_width():
    # lr_sweep at 80x24: side by side, a loss chart of 24 columns ticked its steps 0 and 400 and cut its labels
    from nntui.panels.loss.widget import LossPlot
    from nntui.ui.plot_grid import PlotGrid

    app = NNTuiApp(load("lr_sweep").with_steps(25), device="cpu", questions=False)  # (the beat at 20: the loss)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_idle(app, pilot)
        grid, loss = app.query_one(PlotGrid), app.query_one(LossPlot)
        assert [p for p in grid.plots if p.display] == [loss] and loss.region.width == grid.size.width
        assert any(line.rstrip().endswith(" lr=0.0005") for line in (strip.text for strip in loss._strips))


async def test_a_beat_brings_the_plot_it_talks_about_into_view_once():
    # dead_relu at 80x24 opens on the histograms its first beat talks about ("Grey bars are outputs that are
    # exactly 0"), not on the loss chart listed first; p still pages on from there
    from nntui.ui.plot_grid import PlotGrid

    app = NNTuiApp(load("dead_relu").with_steps(3), device="cpu", questions=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_idle(app, pilot)
        grid = app.query_one(PlotGrid)
        assert [p.id for p in grid.plots if p.display] == ["histograms-2", "histograms-3"]  # (multiples: a pair)
        await pilot.press("p")
        await pilot.pause()
        app.refresh_panels(force=True)  # the same beat: the page the reader chose stays
        await pilot.pause()
        assert [p.id for p in grid.plots if p.display] == ["loss"]


async def test_a_short_screen_shows_a_row_of_plots_at_a_time_and_p_shows_the_next():
    # at 80x24 four plots and seven runs left each plot four rows (issue 27): one at a time, ten rows and the
    # whole width each
    from nntui.panels.variants.widget import VariantsTable
    from nntui.ui.plot_grid import PlotGrid

    app = NNTuiApp(load("activations").with_steps(2), device="cpu", questions=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_idle(app, pilot)
        grid, table = app.query_one(PlotGrid), app.query_one(VariantsTable)
        shown = [p.id for p in grid.plots if p.display]
        assert shown == ["activation"] and str(table.border_subtitle) == "plots 1/3 · p: next"
        assert all(p.region.height >= 8 for p in grid.plots if p.display)
        await pilot.press("p")
        await pilot.pause()
        assert [p.id for p in grid.plots if p.display] == ["loss"]
        await pilot.press("p")
        await pilot.pause()
        assert [p.id for p in grid.plots if p.display] == ["boundary-1", "boundary-3"]  # small multiples: a pair
        assert str(table.border_subtitle) == "plots 3/3 · p: next"
        await pilot.resize_terminal(120, 40)
        await until(lambda: app.screen.size == (120, 40))
        await pilot.pause(0.1)
        assert all(p.display for p in grid.plots) and not table.border_subtitle  # room for every plot
