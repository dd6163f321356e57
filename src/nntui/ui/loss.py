"""The loss panel: one curve per variant (plotext), log-y toggle, a ✗ where a run diverged."""

from __future__ import annotations

import math

import numpy as np
from textual_plotext import PlotextPlot

from ..runner import View
from .palette import variant_rgb

FLOOR = 1e-12  # log scale: losses of exactly zero are drawn at this floor


class LossPlot(PlotextPlot, can_focus=True):
    DEFAULT_CSS = """
    LossPlot { height: 1fr; min-height: 8; border: round $primary; }
    LossPlot:focus { border: round $accent; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.log_y = False
        self._view: View | None = None
        self._rendered_key: tuple | None = None
        self._rendered = None

    def on_mount(self) -> None:
        super().on_mount()
        self.border_title = "Loss"

    def show(self, view: View | None = None, *, log_y: bool | None = None) -> None:
        if view is not None:
            self._view = view
        if log_y is not None:
            self.log_y = log_y
        self.border_title = "Loss (log scale)" if self.log_y else "Loss"
        self.border_subtitle = "l: log/linear"
        self.refresh()

    def render(self):
        # plotext applies the log scale to its stored data in place, so a figure can be built only
        # once: rebuild it from the view whenever something changed, and reuse the result otherwise
        # (focus changes and other repaints cost nothing).
        key = (self._view.version if self._view else None, self.size, self.log_y, self.app.theme)
        if key != self._rendered_key:
            try:
                self._draw()
                self._rendered = super().render()
            except Exception as exc:  # a plotting bug must never take a live demo down
                self._rendered = f"(loss plot unavailable: {type(exc).__name__})"
            self._rendered_key = key
        return self._rendered

    def _draw(self) -> None:
        plt = self.plt
        plt.clear_figure()  # limits and scale are recomputed from scratch each draw
        plt.xlabel("step")
        view = self._view
        if view is None or view.state == "loading":
            plt.title("loading PyTorch…")
            return
        plt.title("")
        width = max(self.size.width, 20)
        series = []
        for run in view.runs:
            steps, losses = _thin(run.steps, run.losses, width)  # lines join the points: one per column is enough
            ok = np.isfinite(losses)
            series.append((steps[ok], np.maximum(losses[ok], FLOOR) if self.log_y else losses[ok]))
        top = None
        if not self.log_y and any(r.diverged_at is not None for r in view.runs):
            # linear scale: keep converging runs readable; diverged ones leave through the top edge
            firsts = [v[0] for _, v in series if len(v)]
            top = 2 * max(firsts) if firsts else None
        drawn = False
        for i, (run, (steps, losses)) in enumerate(zip(view.runs, series)):
            if top is not None:
                steps, losses = _clip_above(steps, losses, top)
            if not len(steps):
                continue
            drawn = True
            # "hd" (2x2 quadrant blocks): thicker than braille, readable on a projector
            plt.plot(steps.tolist(), losses.tolist(), color=variant_rgb(i), marker="hd")
            if run.diverged_at is not None:  # ✗ at the step where it diverged (on the top edge if clipped)
                y = top if top is not None and losses[-1] >= top else float(losses[-1])
                plt.scatter([float(run.diverged_at)], [y], color=variant_rgb(i), marker="✗")
        plt.xlim(0, x_extent(view.step, view.total))
        if top is not None:
            plt.ylim(0, top)
        if self.log_y and drawn:  # plotext cannot draw an empty log axis
            plt.yscale("log")


def x_extent(step: int, total: int) -> int:
    """Right end of the step axis: it grows with training in 1-2-5 jumps (so the first,
    most interesting steps are not squeezed into a corner) and stops at the run's length."""
    want = max(10, step * 1.15)
    magnitude = 10 ** math.floor(math.log10(want))
    nice = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= want)
    return max(1, min(total, int(nice)))


def _clip_above(steps: np.ndarray, values: np.ndarray, top: float) -> tuple[np.ndarray, np.ndarray]:
    """Cut a series where it first exceeds `top`, ending exactly on the top edge.

    plotext interpolates every segment point by point, so a segment that runs
    far outside the y-limits costs hundreds of milliseconds; clip it ourselves.
    """
    above = np.nonzero(values > top)[0]
    if not len(above):
        return steps, values
    k = above[0]
    return np.append(steps[:k], steps[k]), np.append(values[:k], top)


def _thin(steps: np.ndarray, values: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """At most `limit` points, evenly spaced, always keeping the last one."""
    if len(steps) <= limit:
        return steps, values
    idx = np.unique(np.linspace(0, len(steps) - 1, limit).astype(int))
    return steps[idx], values[idx]
