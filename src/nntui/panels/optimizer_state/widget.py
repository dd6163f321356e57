"""The optimizer-state panel's widget: for one run, what its optimizer does to each parameter's step, over the
steps: an adaptive optimizer's effective learning rate (lr/(√v̂ + ε), the dotted line the lr itself); momentum's
step against plain SGD's (‖lr·v‖ ÷ ‖lr·g‖, the dotted 1 is plain SGD). One line per parameter tensor, named in
the legend."""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...ui.draw.axis import step_axis
from ...ui.draw.chart import Line, line_chart
from ...ui.draw.raster import MARGIN, border_room, centered_message, first_fit
from ...ui.panel import RUN_BINDINGS, StripPanel, cut_run_name
from ..loss.widget import x_extent
from .probe import FIELDS

# a colour per parameter tensor, none a run's (x in blue and y in orange read as the sgd and momentum runs):
# white, magenta, lime, salmon, violet, cyan, tan, grey
TENSOR_RGB = ((240, 240, 240), (230, 70, 230), (170, 240, 60), (255, 150, 120), (150, 110, 255), (0, 225, 225),
              (200, 160, 100), (140, 140, 140))

# what each optimizer keeps and how it steps, for the heading (the catalog's names)
RULES = {
    "sgd": "plain SGD keeps nothing: every step is lr·g",
    "momentum": "v ← β·v + g, step lr·v (momentum_buffer)",
    "adam": "step lr·m̂/(√v̂+ε): m, v running means of g, g² (exp_avg, exp_avg_sq)",
    "rmsprop": "step lr·g/(√s+ε): s a running mean of g² (square_avg)",
    "adagrad": "step lr·g/(√Σg²+ε) (sum)",
}


def rule(settings: dict) -> str:
    optimizer = settings.get("optimizer", "sgd")
    if optimizer == "sgd":
        return RULES["momentum" if settings.get("momentum") else "sgd"]
    return RULES.get(optimizer if optimizer in RULES else "adam" if optimizer in ("adamw", "nadam", "radam") else "",
                     "")


class OptimizerStatePanel(StripPanel):
    BINDINGS = RUN_BINDINGS

    def _rebuild(self) -> None:
        width, height, base = self.size.width, self.size.height, self.rich_style
        run = self.shown_run()
        state = run.measured.get("optimizer_state") if run is not None else None
        self._set_titles(run)
        if run is None or state is None or not len(state[0]) or height < 6 or width < MARGIN + 8:
            self._strips = centered_message("waiting for the first step…" if height >= 6 else "too small", width,
                                            height, base)
            return
        steps, rows = state
        names = [n.removeprefix("model.") for n in run.param_names]
        tensors = rows.shape[1] // FIELDS
        ratios, effective = rows[:, 0::FIELDS], rows[:, 1::FIELDS]
        view = self._view
        assert view is not None
        x_axis = step_axis(max(x_extent(view.step, view.total), 1), width - MARGIN)
        dim = base + Style(dim=True)
        colours = [TENSOR_RGB[k % len(TENSOR_RGB)] for k in range(tensors)]
        # the optimizer's own scale: an adaptive one's effective lr against the lr; momentum's step against
        # plain SGD's (its velocity against the gradient); plain SGD's, 1 throughout, says it keeps nothing
        if np.isfinite(effective).any():
            values, guide = effective, (run.lr if np.isfinite(run.lr) else None)
            lr = f" {run.lr:.3g}" if guide is not None else ""
            heading = [f"effective lr of each parameter: lr/(√v̂+ε) (log) · ┄ the lr{lr}",
                       f"effective lr, lr/(√v̂+ε) (log) · ┄ lr{lr}", f"effective lr (log) · ┄ lr{lr}", "effective lr"]
        else:
            values, guide = ratios, 1.0
            heading = ["each parameter's step ÷ plain SGD's lr·g (log) · ┄ 1: the same",
                       "step ÷ plain SGD's lr·g (log) · ┄ 1", "step ÷ lr·g (log) · ┄ 1", "step ÷ lr·g"]
        chart = line_chart([Line(steps, values[:, k], colours[k]) for k in range(tensors)], x_axis, height - 3, base,
                           guide=guide)
        strips = [self._heading(heading, chart.hidden, width, dim), *chart.strips,
                  self._legend(names, colours, width, base, dim)]
        self._strips = [s.crop_extend(0, width, base) for s in strips[:height]]

    def _set_titles(self, run) -> None:
        room = border_room(self.outer_size.width)
        name = cut_run_name(run, max(room - 18, 8)) if run is not None else ""
        how = rule(run.settings) if run is not None else ""
        self.set_titles(title=first_fit([f"Optimizer state · {name}", f"Optimizer · {name}", name], room),
                        subtitle=first_fit([f"{how} · [ / ]: other run", how, "[ / ]: other run"], room))

    @staticmethod
    def _heading(forms: list[str], hidden: tuple[int, ...], width: int, style: Style) -> Strip:
        under = "*: under others" if hidden else ""
        texts = [f"{f} · {under}" for f in forms] + forms if under else forms
        return Strip([Segment(first_fit(texts, width), style)])

    @staticmethod
    def _legend(names: list[str], colours: list[tuple[int, int, int]], width: int, base: Style,
                dim: Style) -> Strip:
        """Each parameter's name in its line's colour."""
        lead = "parameters: " if len("parameters: " + " ".join(names)) <= width else ""
        segments = [Segment(lead, dim)]
        for k, (label, rgb) in enumerate(zip(names, colours)):
            segments.append(Segment(("" if k == 0 else " ") + label, base + Style(color=Color.from_rgb(*rgb), bold=True)))
        return Strip(segments)
