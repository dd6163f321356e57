"""Guided questions: training stops at the beat's step, asks, says right or wrong and why, then plays on."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from nntui.errors import ScenarioError
from nntui.scenario import load
from nntui.scenario.loader import load_path
from nntui.ui.app import NNTuiApp
from nntui.ui.screens.question import QuestionScreen

from .conftest import MINIMAL, wait_until


async def test_question_pauses_at_its_step_then_continues():
    app = NNTuiApp(load("vanishing_gradients"), device="cpu", speed="max")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: isinstance(app.screen, QuestionScreen), pilot)
        assert app.runner.view().step == 1 and not app.runner.playing  # exactly at the beat's step
        await pilot.press("2")  # "about 4× smaller": wrong
        verdict = str(app.screen.query_one("#verdict").source)
        assert "Not quite" in verdict and "100,000" in verdict and "σ'(z)" in verdict
        await pilot.press("enter")
        await wait_until(lambda: app.runner.view().step > 20, pilot)
        assert app.answers == {1: False} and not isinstance(app.screen, QuestionScreen)


async def test_right_answer_and_never_asked_again_not_even_after_reset():
    app = NNTuiApp(load("lr_sweep"), device="cpu", speed="max")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: isinstance(app.screen, QuestionScreen), pilot)
        assert app.runner.view().step == 0
        await pilot.press("9")  # not a choice: nothing happens
        assert app.screen.chosen is None
        await pilot.press("4")
        assert "Right" in str(app.screen.query_one("#verdict").source)
        await pilot.press("enter")
        await wait_until(lambda: app.runner.view().step >= 50, pilot)
        assert app.answers == {0: True}
        await wait_until(lambda: not app.runner.playing, pilot)  # at max speed the 300 steps are soon done
        await pilot.press("r", "space")  # was: asked again at step 0 of the replay
        await wait_until(lambda: app.runner.view().step >= 50 or isinstance(app.screen, QuestionScreen), pilot)
        assert not isinstance(app.screen, QuestionScreen) and app.runner.view().step >= 50


async def test_a_skipped_question_is_asked_again_after_reset():
    app = NNTuiApp(load("lr_sweep"), device="cpu", speed="max")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: isinstance(app.screen, QuestionScreen), pilot)
        await pilot.press("escape")
        await wait_until(lambda: not app.runner.playing and app.runner.view().step > 0, pilot)
        await pilot.press("r", "space")
        await wait_until(lambda: isinstance(app.screen, QuestionScreen), pilot)
        assert app.runner.view().step == 0 and app.answers == {}


async def test_answers_carry_into_the_reopened_experiment():
    # "Add a copy" reopens the edited experiment as a new app (cli._session): it gets the answers given so far
    app = NNTuiApp(load("lr_sweep"), device="cpu", speed="max", answers={0: False})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: app.runner.view().step > 20 or isinstance(app.screen, QuestionScreen), pilot)
        assert not isinstance(app.screen, QuestionScreen) and app.answers == {0: False}


def test_the_cli_reopens_an_edited_experiment_with_its_answers(monkeypatch):
    from nntui import cli

    scenario, opened = load("lr_sweep"), []

    class App:  # NNTuiApp as the session loop sees it: the first returns an edited experiment, the second quits
        def __init__(self, sc, **options):
            opened.append(options["answers"])
            self.answers = {0: True}

        def run_or_raise(self):
            return scenario if len(opened) == 1 else None

    monkeypatch.setattr("nntui.ui.app.NNTuiApp", App)
    monkeypatch.setenv("TERM", "xterm")
    monkeypatch.setattr(cli, "_is_terminal", lambda stream: True)  # (pytest's streams are not terminals)
    cli._session(scenario, device="cpu", autoplay=None)
    assert opened == [{}, {0: True}]


async def test_the_question_leaves_the_gradient_bars_it_asks_about_in_view():
    app = NNTuiApp(load("vanishing_gradients"), device="cpu", speed="max")
    async with app.run_test(size=(80, 24)) as pilot:  # was: a centred dialog over both gradient-flow panels
        await wait_until(lambda: isinstance(app.screen, QuestionScreen), pilot)
        await pilot.pause()
        shown = screen_text(app)
        # both runs' gradient flow side by side (small multiples stay paired on a narrow grid), sigmoid's ratio
        assert "Question · step 1" in shown and "─ sigmoid · at step 1" in shown and "─ relu +" in shown
        assert "L1/L10: 1.0e-05" in shown
        await pilot.press("4")
        await pilot.pause()
        shown = screen_text(app)
        assert "Right" in shown and "L1/L10: 1.0e-05" in shown


def screen_text(app) -> str:
    """The screen as the terminal shows it: the question over the screen under it."""
    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(), record=True,
                      force_terminal=True)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text()


async def test_escape_skips_a_question_and_q_quits_from_it():
    app = NNTuiApp(load("lr_sweep"), device="cpu", speed="max")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: isinstance(app.screen, QuestionScreen), pilot)
        await pilot.press("escape")  # was: nothing
        await wait_until(lambda: app.runner.view().step > 5, pilot)
        assert app.answers == {} and not isinstance(app.screen, QuestionScreen)
    app = NNTuiApp(load("lr_sweep"), device="cpu", speed="max")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: isinstance(app.screen, QuestionScreen), pilot)
        await pilot.press("q")  # was: nothing (the README says q quits at once)
        await pilot.pause()
        assert not app.is_running


async def test_a_question_in_a_tiny_window_does_not_crash():
    app = NNTuiApp(load("lr_sweep"), device="cpu", speed="max")
    async with app.run_test(size=(10, 3)) as pilot:  # was: ValueError inside Textual's OptionList
        await wait_until(lambda: isinstance(app.screen, QuestionScreen), pilot)
        await pilot.press("4")
        await pilot.pause()
        assert app.screen.chosen == "0.03"


def test_question_snapshot(snap_compare):
    app = NNTuiApp(load("lr_sweep"), device="cpu", autoplay=True)

    async def run_before(pilot):
        await wait_until(lambda: isinstance(pilot.app.screen, QuestionScreen), pilot)
        await pilot.press("3")  # 0.028: wrong, with the explanation
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 32), run_before=run_before)


@pytest.mark.parametrize("beat, message", [
    ('{ at = 0, say = "s", ask = "q?", choices = ["a"], answer = "a" }', "2 to 6"),
    ('{ at = 0, say = "s", ask = "q?", choices = ["a", "b"], answer = "c" }', "must be one of the choices"),
    ('{ at = 0, say = "s", choices = ["a", "b"] }', "add `ask`"),
    ('{ at = 0, say = "s", ask = "q?", choices = ["a", "a"], answer = "a" }', "differ"),
])
def test_malformed_questions_are_one_line_errors(write_scenario, beat, message):
    with pytest.raises(ScenarioError) as info:
        load_path(write_scenario(MINIMAL + f"[lesson]\nbeats = [{beat}]\n"))
    lines = [str(p) for p in info.value.problems]
    assert any("lesson.beats[0]" in line and message in line for line in lines), lines


async def test_a_panel_holds_back_the_number_that_would_answer_the_open_question():
    """lr_sweep asks which lr diverges: the curvature panel's 'stable if lr < 2/λmax = 0.02977' waits for the
    answer."""
    app = NNTuiApp(load("lr_sweep"), autoplay=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: isinstance(app.screen, QuestionScreen), pilot)
        curvature = app.query_one("#curvature")
        await wait_until(lambda: str(curvature.border_subtitle).startswith("stable if lr < 2/λmax")
                         and "0.02977" not in str(curvature.border_subtitle), pilot)
        await pilot.press("4")  # answered: the number shows beside the verdict
        await wait_until(lambda: "= 0.02977" in str(curvature.border_subtitle), pilot)
