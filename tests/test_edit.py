"""Live edits: change a run (only it restarts, from the same weights), add or remove runs, write the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from nntui.scenario import load
from nntui.scenario.edit import edited_label, to_toml, with_variant, without
from nntui.scenario.loader import load_text
from nntui.ui.app import NNTuiApp
from nntui.ui.screens.edit import EditScreen

from .conftest import wait_idle, wait_until


async def set_field(pilot, screen, field: str, text: str) -> None:
    box = screen.query_one(f"#{field}", Input)
    box.value = text
    await pilot.pause()


async def test_editing_a_run_restarts_only_that_run():
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=30, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        first_losses = [run.losses[0] for run in app.runner.view().runs]
        await pilot.press("e")
        screen = app.screen
        assert isinstance(screen, EditScreen) and screen.index == 0
        await set_field(pilot, screen, "train-lr", "0.01")
        await pilot.click("#apply")
        await wait_until(lambda: app.runner.view().runs[0].step == 0, pilot)
        runs = app.runner.view().runs
        assert runs[0].label == "lr=0.01 ✎" and runs[0].settings["lr"] == 0.01
        assert [r.step for r in runs[1:]] == [30] * 5  # the others keep their place (paused here)
        await pilot.press("n")
        await wait_idle(app, pilot)
        runs = app.runner.view().runs
        assert runs[0].step == 1 and runs[1].step == 31
        assert runs[0].losses[0] == first_losses[0]  # the same initial weights: the same first loss
        assert app.scenario.variants[0].train.lr == 0.01


async def test_a_bad_value_is_one_line_in_the_form():
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=1, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("e")
        screen = app.screen
        await set_field(pilot, screen, "train-lr", "-3")
        await pilot.click("#apply")
        error = str(screen.query_one("#error").render())
        assert "train.lr" in error and "greater than 0" in error and isinstance(app.screen, EditScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, EditScreen)


async def test_adding_a_run_reopens_the_experiment_with_it():
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=1, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("e")
        await pilot.click("#add")
    result = app.return_value
    assert [v.label for v in result.variants][-1] == "lr=0.0005 (copy) ✎" and len(result.variants) == 7


async def test_w_writes_a_file_that_reproduces_the_edited_experiment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sc = with_variant(load("binary_classification"), 0, {"train.lr": 0.05, "model.activation": "tanh"})
    app = NNTuiApp(sc, device="cpu", run_steps=1, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("w")
        await pilot.pause()
    written = tmp_path / "binary_classification-edited.toml"
    again = load_text(written.read_text(encoding="utf-8"), source=str(written), base_dir=tmp_path)
    v = again.variants[0]
    assert (v.label, v.train.lr, v.model.activation, v.steps) == ("run ✎", 0.05, "tanh", sc.variants[0].steps)
    assert v.train == sc.variants[0].train and v.model == sc.variants[0].model and v.data == sc.variants[0].data


def test_every_builtin_round_trips_through_the_writer():
    from nntui.scenario import list_builtin

    for info in list_builtin():
        sc = load(info.name)
        if sc.expression is not None:
            continue
        again = load_text(to_toml(sc), source="x.toml", base_dir=sc.base_dir, name=info.name)
        assert [(v.label, v.train, v.model, v.data) for v in again.variants] == [
            (v.label, v.train, v.model, v.data) for v in sc.variants], info.name


def test_edited_labels_follow_sweep_values():
    assert edited_label("lr=0.005", {"train.lr": 0.01}) == "lr=0.01 ✎"
    assert edited_label("sigmoid", {"train.lr": 0.01}) == "sigmoid ✎"
    assert edited_label("lr=0.01 ✎", {"train.lr": 0.02}) == "lr=0.02 ✎"


async def written(app: NNTuiApp) -> str:
    """Press w once the app has trained: what the toast said."""
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("w")
        await pilot.pause()
        return str(list(app._notifications)[-1].message)


async def test_w_on_a_csv_scenario_writes_a_file_that_runs(tmp_path, monkeypatch):
    lesson = tmp_path / "lesson"
    lesson.mkdir()
    (lesson / "d.csv").write_text("x,y\n" + "".join(f"{i},{2 * i}\n" for i in range(20)), encoding="utf-8")
    (lesson / "fit.toml").write_text('[scenario]\ntitle = "fit"\n[data]\nkind = "csv"\npath = "d.csv"\n'
                                     'target = "y"\n[model]\nkind = "linear"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # the user runs it from elsewhere: `nntui run lesson/fit.toml`
    said = await written(NNTuiApp(load(str(lesson / "fit.toml")), device="cpu", run_steps=1, questions=False))
    # next to its CSV (a copy in the current folder could not reach it: the path must stay inside its folder)
    assert not (tmp_path / "fit-edited.toml").exists()
    assert load(str(lesson / "fit-edited.toml")).variants[0].dataset.n_train == 20
    assert "`nntui run lesson/fit-edited.toml`" in said  # was `nntui run fit-edited.toml`: not found from here


async def test_w_on_a_csv_scenario_in_a_read_only_folder_writes_here_with_a_copy_of_its_csv(tmp_path, monkeypatch):
    # a shared course folder: was "could not write the scenario", the edits with nowhere to go (issue 30)
    import os

    lesson, here = tmp_path / "course", tmp_path / "me"
    lesson.mkdir()
    here.mkdir()
    (lesson / "d.csv").write_text("x,y\n" + "".join(f"{i},{2 * i}\n" for i in range(20)), encoding="utf-8")
    (here / "d.csv").write_text("x,y\n1,1\n", encoding="utf-8")  # another file of that name: kept
    (lesson / "fit.toml").write_text('[scenario]\ntitle = "fit"\n[data]\nkind = "csv"\npath = "d.csv"\n'
                                     'target = "y"\n[model]\nkind = "linear"\n', encoding="utf-8")
    access = os.access  # a read-only folder, as a student sees it (root, who runs CI, may write anywhere)
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != lesson and access(path, mode))
    monkeypatch.chdir(here)
    said = await written(NNTuiApp(with_variant(load(str(lesson / "fit.toml")), 0, {"train.lr": 0.05}), device="cpu",
                                  run_steps=1, questions=False))
    assert not (lesson / "fit-edited.toml").exists()
    again = load(str(here / "fit-edited.toml"))
    assert again.variants[0].dataset.n_train == 20 and again.variants[0].train.lr == 0.05
    assert (here / "d.csv").read_text(encoding="utf-8") == "x,y\n1,1\n" and (here / "d-2.csv").is_file()
    assert "`nntui run fit-edited.toml`" in said  # a command that works from here


def test_a_write_that_fails_leaves_no_file_and_no_debris(tmp_path, monkeypatch):
    from nntui import files

    target = tmp_path / "x.toml"
    target.write_text("old", encoding="utf-8")

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", full_disk)
    with pytest.raises(OSError, match="No space"):
        files.write_atomically(target, "new " * 1000)
    assert target.read_text(encoding="utf-8") == "old" and [p.name for p in tmp_path.iterdir()] == ["x.toml"]
    monkeypatch.undo()
    files.write_atomically(tmp_path / "y.toml", "new")
    assert (tmp_path / "y.toml").stat().st_mode & 0o044  # readable like any file, not mkstemp's 0600


async def test_escape_warns_once_before_edits_are_lost(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    edited = with_variant(load("binary_classification"), 0, {"train.lr": 0.05})
    app = NNTuiApp(edited, device="cpu", run_steps=1, questions=False, home=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("escape")  # was: straight back to the picker, the edits gone
        await pilot.pause()
        assert app.is_running and "not saved" in str(list(app._notifications)[-1].message)
        await pilot.press("escape")  # asked twice: leave
        await pilot.pause()
    assert app.return_value == "home"
    app = NNTuiApp(edited, device="cpu", run_steps=1, questions=False, home=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("w", "escape")  # written: nothing to lose
        await pilot.pause()
    assert app.return_value == "home"


async def test_w_writes_a_surface_scenario_which_has_no_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # found by the chaos test: w on a surface lesson crashed (its data is None)
    app = NNTuiApp(with_variant(load("optimizers"), 0, {"train.lr": 0.01}), device="cpu", run_steps=1,
                   questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("w")
        await pilot.pause()
    assert (tmp_path / "optimizers-edited.toml").is_file()


async def test_the_form_offers_every_catalog_optimizer_and_an_adamw_run_trains():
    from textual.widgets import Select

    from nntui import catalog

    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=3, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("e")
        choice = app.screen.query_one("#train-optimizer", Select)
        assert [value for _, value in choice._options if value is not Select.BLANK] == list(catalog.OPTIMIZERS)
        choice.value = "adamw"
        await pilot.pause()
        await pilot.click("#apply")
        await wait_until(lambda: app.runner.view().runs[0].settings["optimizer"] == "adamw", pilot)
        for _ in range(3):
            await pilot.press("n")
            await wait_idle(app, pilot)
        run = app.runner.view().runs[0]
        assert run.step == 3 and run.losses[2] < run.losses[0]


def test_a_beat_about_a_run_follows_its_edits():
    sc = load("lr_sweep")  # its beats are about lr=0.0005 (step 20) and lr=0.03 (step 40)
    edited = with_variant(sc, 0, {"train.lr": 0.01})
    assert [b.focus for b in edited.lesson.beats if b.at == 20] == ["lr=0.01 ✎"]
    assert [b.focus for b in without(sc, 5).lesson.beats if b.at == 40] == [None]


async def test_continue_keeps_the_runs_weights_and_marks_the_step():
    """Continue: the run goes on from its step with the new lr (no restart), its curve gets a ✎ there, and a
    setting that cannot change mid-run is refused in the form with the way to restart."""
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=30, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("e")
        screen = app.screen
        await set_field(pilot, screen, "train-batch_size", "8")
        await pilot.click("#continue")
        assert "train.batch_size cannot change mid-run" in str(screen.query_one("#error").render())
        await set_field(pilot, screen, "train-batch_size", "full")
        await set_field(pilot, screen, "train-lr", "0.01")
        await pilot.pause(0.5)  # (a button pressed twice within its press effect counts once)
        await pilot.click("#continue")
        await wait_until(lambda: app.runner.view().runs[0].label == "lr=0.01 ✎", pilot)
        run = app.runner.view().runs[0]
        assert run.step == 30 and run.edits == (30,) and run.settings["lr"] == 0.01
        await pilot.press("n")
        await wait_idle(app, pilot)
        assert app.runner.view().runs[0].step == 31


async def test_continue_on_a_run_that_has_ended_is_refused_with_the_way_to_restart():
    # a diverged (or early-stopped, or finished) run: Continue said "goes on from here" and did nothing, and the
    # record then said the new lr had diverged (issue 30)
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=240, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        assert app.runner.view().runs[5].diverged_at == 229
        app.action_edit(5)
        await pilot.pause()
        screen = app.screen
        await set_field(pilot, screen, "train-lr", "0.01")
        await pilot.click("#continue")
        said = str(screen.query_one("#error").render())
        assert "it diverged at step 229: there is nothing to go on from (press Apply" in said
        assert app.screen is screen and app.runner.view().runs[5].label == "lr=0.03"  # nothing changed


def test_live_problem_names_what_needs_a_restart():
    from nntui.scenario.edit import live_problem

    sc = load("regularization")
    before = sc.variants[0]
    assert live_problem(before, with_variant(sc, 0, {"train.lr": 0.02}).variants[0]) is None
    assert live_problem(before, with_variant(sc, 0, {"train.l1": 0.01}).variants[0]) is None
    assert "model.layers cannot change" in live_problem(before, with_variant(sc, 0, {"model.layers": [8]}).variants[0])
    assert "dropout can change mid-run only" in live_problem(
        before, with_variant(sc, 0, {"model.dropout": 0.2}).variants[0])
    assert live_problem(sc.variants[3], with_variant(sc, 3, {"model.dropout": 0.5}).variants[3]) is None
