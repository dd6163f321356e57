"""The lesson panel: nothing a lesson says is cut, at the width the panel gets in an 80- or 120-column terminal."""

from __future__ import annotations

import re

from markdown_it import MarkdownIt
from textual.app import App, ComposeResult
from textual.widgets import Markdown

from nntui.panels.lesson.widget import LessonPanel, wrap_code
from nntui.scenario import Scenario, list_builtin, load
from nntui.ui import STYLESHEET
from nntui.ui.app import NNTuiApp

from .conftest import wait_until

TERMINALS = [(80, 24), (120, 40)]


async def panel_width(scenario: Scenario, size: tuple[int, int]) -> int:
    """The lesson panel's width in the app at this terminal size (graph lessons give it half the screen)."""
    app = NNTuiApp(scenario, device="cpu", run_steps=0)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        return app.query_one(LessonPanel).outer_size.width


class TallLesson(App):
    """One lesson panel, as wide as in the app but tall enough to show all of its text at once."""

    CSS_PATH = STYLESHEET

    def __init__(self, scenario: Scenario):
        super().__init__()
        self.scenario = scenario

    def compose(self) -> ComposeResult:
        panel = LessonPanel.for_scenario(self.scenario, id="lesson")
        panel.styles.width = "100%"
        panel.styles.scrollbar_gutter = "stable"  # as in the app, where the text overflows and has a scrollbar
        yield panel


def panel_text(app: App) -> str:
    """The text inside the lesson panel's border, padding and scrollbar, as on screen."""
    region = app.query_one(LessonPanel).scrollable_content_region
    strips = app.screen._compositor.render_strips()[region.y:region.bottom]
    return "\n".join(strip.crop(region.x, region.right).text for strip in strips)


def units(markdown: str) -> list[str]:
    """What must appear whole on screen (whitespace aside): each paragraph, heading and list item's text, each
    line of a code block; in a table, each word of a cell (a cell may wrap, but no word may be cut)."""
    found: list[str] = []
    in_table = False
    for token in MarkdownIt("gfm-like").parse(markdown):
        if token.type in ("table_open", "table_close"):
            in_table = token.type == "table_open"
        elif token.type in ("fence", "code_block"):
            found += [line for line in token.content.splitlines() if line.strip()]
        elif token.type == "inline":
            text = "".join(" " if c.type in ("softbreak", "hardbreak") else c.content for c in token.children or [])
            found += text.split() if in_table else [text]
    return found


def squeezed(text: str) -> str:
    """The text without whitespace, box-drawing characters and blocks (borders, bars: drawn, not written)."""
    return re.sub(r"[\s\u2500-\u259f]+", "", text)


def missing(markdown: str, shown: str) -> list[str]:
    on_screen = squeezed(shown)
    return [unit for unit in units(markdown) if squeezed(unit) not in on_screen]


def test_units_find_a_cut_formula_and_a_cut_table_word():
    shown = "x = 1, y = 2\n│ sigm… │ tanh │"
    assert missing("    x = 1, y = 2, z = 3\n", shown) == ["x = 1, y = 2, z = 3"]
    assert missing("| f | g |\n|---|---|\n| sigmoid | tanh |\n", shown) == ["f", "sigmoid"]
    assert missing("Some *emphasised* `code`\nover two lines.\n", "Some emphasised\ncode over two\nlines.") == []


def test_a_long_line_of_code_wraps_before_an_operator_under_a_hanging_indent():
    def rows(line: str, width: int) -> list[str]:
        return [" " * indent + line[start:end] for start, end, indent in wrap_code(line, width)]

    assert rows("∂L/∂w = 2/3 · Σ (w·xᵢ − yᵢ)·xᵢ = −9.3333", 20) == ["∂L/∂w = 2/3", "  · Σ (w·xᵢ − yᵢ)·xᵢ", "  = −9.3333"]
    assert rows("optimizer.zero_grad()", 19) == ["optimizer.", "  zero_grad()"]  # no space: after the dot
    assert rows("short", 19) == ["short"]


async def test_no_lesson_text_or_beat_is_cut_at_80_or_120_columns():
    lessons = [load(info.name) for info in list_builtin()]
    lessons = [sc for sc in lessons if "lesson" in sc.view.panels and (sc.lesson.text.strip() or sc.lesson.beats)]
    training = next(sc for sc in lessons if sc.expression is None)
    graph = next(sc for sc in lessons if sc.expression is not None)
    problems = []
    for size in TERMINALS:
        widths = {False: await panel_width(training, size), True: await panel_width(graph, size)}
        for sc in lessons:
            width = widths[sc.expression is not None]
            app = TallLesson(sc)
            async with app.run_test(size=(width, 300)) as pilot:
                await pilot.pause()
                panel = app.query_one(LessonPanel)
                assert panel.virtual_size.height <= panel.scrollable_content_region.height, "make the app taller"
                problems += [f"{sc.name} at {size[0]} columns (panel {width} wide): {unit!r}"
                             for unit in missing(sc.lesson.text, panel_text(app))]
                for beat in sc.lesson.beats:
                    panel.show_step(beat.at)
                    await pilot.pause()
                    problems += [f"{sc.name} at {size[0]} columns, beat at {beat.at}: {unit!r}"
                                 for unit in missing(beat.say, panel_text(app))]
    assert not problems, "cut:\n" + "\n".join(problems)


def test_no_beat_says_press_space():
    # space plays or pauses: which one, only the state knows (most lessons play at once); the beat box says it
    assert not [(info.name, b.at) for info in list_builtin() for b in load(info.name).lesson.beats
                if "space" in b.say]


async def test_a_lesson_paused_at_the_start_says_space_starts_it():
    app = NNTuiApp(load("gd_contours"), device="cpu", autoplay=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(lambda: app.runner.view().state == "ready", pilot)
        app.refresh_panels(force=True)
        await pilot.pause()
        box = app.query_one("#beat", Markdown)
        assert "**space** *starts" in box.source
        await pilot.press("space")
        await wait_until(lambda: app.runner.view().step > 0, pilot)
        await pilot.pause(0.3)
        assert "starts training" not in box.source and "step " in box.source  # (step 0 or a later beat by now)


async def test_m_zooms_the_code_graph_and_lesson_panels_and_escape_or_m_restores():
    # they are scroll containers, which Textual does not maximize unless told: m did nothing on them
    for name, panels in (("autograd_basics", ("#code", "#graph", "#lesson")), ("computation_graph", ("#graph",))):
        app = NNTuiApp(load(name), device="cpu", run_steps=0)
        async with app.run_test(size=(80, 24)) as pilot:
            for selector in panels:
                panel = app.query_one(selector)
                panel.focus()
                await pilot.press("m")
                assert app.screen.maximized is panel, selector
                await pilot.press("escape" if selector == "#code" else "m")
                assert app.screen.maximized is None and app.is_running, selector
