"""The loss panel: one curve per variant (plotext), log-y toggle, a ✗ where a run diverged."""

from __future__ import annotations

import numpy as np
from textual_plotext import PlotextPlot

from ..runner import View
from .palette import variant_rgb

FLOOR = 1e-12  # log scale: losses of exactly zero are drawn at this floor


class LossPlot(PlotextPlot):
    DEFAULT_CSS = """
    LossPlot { height: 1fr; min-height: 8; border: round $primary; }
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.log_y = False
        self._view: View | None = None

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
        self._draw()
        self.refresh()

    def on_resize(self) -> None:
        self._draw()

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
        finite_tops, first_losses = [], []
        for i, run in enumerate(view.runs):
            steps, losses = _thin(run.steps, run.losses, 2 * width)
            ok = np.isfinite(losses)
            if self.log_y:
                losses = np.maximum(losses, FLOOR)
            if ok.any():
                plt.plot(steps[ok].tolist(), losses[ok].tolist(), color=variant_rgb(i), marker="braille")
                finite_tops.append(losses[ok].max())
                first_losses.append(losses[ok][0])
            if run.diverged_at is not None and ok.any():
                # mark the last finite point of a diverged run
                plt.scatter([float(steps[ok][-1])], [float(losses[ok][-1])], color=variant_rgb(i), marker="✗")
        plt.xlim(0, max(view.total, 1))
        if self.log_y and finite_tops:  # plotext cannot draw an empty log axis
            plt.yscale("log")
        if not self.log_y and first_losses and any(r.diverged_at is not None for r in view.runs):
            # linear scale: keep converging runs readable; diverged ones leave through the top
            plt.ylim(0, min(max(finite_tops), 2 * max(first_losses)))


    def render(self):
        try:
            return super().render()
        except Exception as exc:  # a plotting bug must never take a live demo down
            return f"(loss plot unavailable: {type(exc).__name__})"


def _thin(steps: np.ndarray, values: np.ndarray, limit: int) -> tuple[np.ndarray, np.ndarray]:
    """At most `limit` points, evenly spaced, always keeping the last one."""
    if len(steps) <= limit:
        return steps, values
    idx = np.unique(np.linspace(0, len(steps) - 1, limit).astype(int))
    return steps[idx], values[idx]
