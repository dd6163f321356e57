"""Panels fit the space they get: at 80x24 and 120x40 no number, heading or title is cut mid-word."""

from __future__ import annotations

import math

import pytest
from textual.app import App, ComposeResult

from nntui.runner import View
from nntui.scenario import load
from nntui.ui import STYLESHEET
from nntui.ui.app import NNTuiApp
from nntui.ui.draw.raster import first_fit, fmt_num, shorten
from nntui.ui.header import RunHeader

from .conftest import wait_idle


def test_shorten_keeps_whole_words_and_first_fit_prefers_the_fullest_form():
    title = "Vanishing gradients: sigmoid vs ReLU in a deep net"
    assert shorten(title, 80) == title
    assert shorten(title, 37) == "Vanishing gradients: sigmoid vs ReLU…"
    assert shorten(title, 25) == "Vanishing gradients…"  # no dangling ':' or 'vs'
    assert first_fit(["Gradient flow · sigmoid", "Grad flow · sigmoid"], 20) == "Grad flow · sigmoid"
    assert first_fit(["Gradient flow · sigmoid", "sigmoid"], 5) == "sigm…"


class HeaderApp(App):
    CSS_PATH = STYLESHEET

    def compose(self) -> ComposeResult:
        yield RunHeader("Vanishing gradients: sigmoid vs ReLU in a deep net")


@pytest.mark.parametrize("width", [80, 120, 60, 40])
async def test_header_title_gives_way_to_the_status_in_whole_words(width):
    app = HeaderApp()
    async with app.run_test(size=(width, 5)) as pilot:
        header = app.query_one(RunHeader)
        header.show(View(1, "ready", "cpu", 100, 200, False, False, 20, math.nan, None, ()))
        await pilot.pause()
        line = screen_lines(app)[0]
        assert "cpu  step 100/200" in line
        title = line.split("cpu  step")[0].strip()
        assert title and line.split(title)[1].startswith("  ")  # two cells clear of the status
        if width < 60:
            return  # narrower than nntui's smallest target: the title may be cut, never run into the status
        words = "nntui Vanishing gradients: sigmoid vs ReLU in a deep net".split()
        assert all(w.rstrip(":…") in words or w.rstrip(":…") + ":" in words for w in title.split())
        if width >= 80:
            assert "speed 20" in line and "Vanishing gradients" in title


def screen_lines(app) -> list[str]:
    """The plain text of every screen row, as the terminal shows it."""
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


@pytest.mark.parametrize("name", ["devices", "binary_classification", "lr_sweep"])
async def test_the_variants_table_fits_80_columns_with_whole_labels_and_no_scroll_bar(name):
    from nntui.panels.variants.widget import VariantsTable

    app = NNTuiApp(load(name), device="cpu", run_steps=2, questions=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_idle(app, pilot)
        table = app.query_one(VariantsTable)
        assert table.virtual_size.width <= table.size.width and not table.show_horizontal_scrollbar
        rows = ["".join(seg.text for seg in strip) for strip in table._strips]
        assert "…" not in "".join(rows) and rows[0].split()[-1] == "status"  # shorter titles ("acc"), whole labels
        assert all(row.split()[1] == label for row, label in zip(rows[1:], [v.label for v in app.scenario.variants]))


async def test_a_table_beside_losses_drawn_above_the_best_shows_each_run_s_distance_to_it():
    # lr_sweep: the chart drew lr 0.0005 at 0.042 above the best fit, its table said 0.9661 and nothing else
    from nntui.panels.variants.widget import VariantsTable

    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=40, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        table, runs = app.query_one(VariantsTable), app.runner.view().runs
        for i, run in enumerate(runs[:-1]):  # (the last diverges: its distance is the loss's own size)
            assert table.cell(i, "above best") == fmt_num(run.loss - run.floor)
            assert float(table.cell(i, "loss")) - float(table.cell(i, "above best")) == pytest.approx(run.floor, abs=1e-3 * max(1, run.loss))


async def test_at_80_columns_the_table_keeps_the_gap_of_a_generalization_lesson():
    from nntui.panels.variants.widget import VariantsTable

    app = NNTuiApp(load("data_size"), device="cpu", run_steps=300, questions=False)  # "overfitting" is wide
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_idle(app, pilot)
        header = "".join(seg.text for seg in app.query_one(VariantsTable)._strips[0]).split()
        assert "gap" in header and "loss" in header  # (the validation loss is their sum)


def test_a_short_table_keeps_the_generalization_column_its_lesson_s_claims_compare():
    # overfitting and regularization compare validation losses, data_size gaps: at 80x24 each keeps its own
    from nntui.panels.variants.widget import VariantsTable

    def first_dropped(name):
        return next(k for k in VariantsTable.for_scenario(load(name)).derived if k in ("gap", "val loss"))

    assert first_dropped("overfitting") == first_dropped("regularization") == "gap"
    assert first_dropped("data_size") == "val loss"
