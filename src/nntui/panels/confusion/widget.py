"""The confusion panel's widget: for one run, how many points of each true class (rows) it predicts as each class
(columns), on the validation split (the training split where none is held out).

Each cell shows its count; its shade is the count's share of its row, so a class with few points reads as
clearly as a big one: the diagonal (right) in green, the mistakes in red, darker the larger the share. The
class labels take the boundary panel's class colours. `[` / `]` switch runs.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...ui.draw.palette import blend, class_rgb
from ...ui.draw.raster import border_room, centered_message, first_fit
from ...ui.panel import RUN_BINDINGS, StripPanel, run_name

RIGHT_RGB = (0, 192, 96)   # the diagonal: predicted as what it is
WRONG_RGB = (255, 64, 64)  # off the diagonal: mistaken for another class
LIGHTEST = 0.12            # the shade of a cell holding a single point (an empty cell is not shaded)


class ConfusionPanel(StripPanel):
    BINDINGS = RUN_BINDINGS

    def on_mount(self) -> None:
        self.set_titles(title="Confusion", subtitle="rows: true class · columns: predicted")

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        run = self.shown_run()
        counts = run.measured.get("confusion") if run is not None else None
        if run is None or counts is None or width < 12 or height < 4:
            self._strips = centered_message("waiting for the first step…", width, height, self.rich_style)
            return
        room = border_room(self.outer_size.width)
        split = run.measured["confusion_split"]
        self.set_titles(title=first_fit([f"Confusion · {run_name(run)} · {split}", f"Confusion · {run_name(run)}",
                                         run_name(run)], room),
                        subtitle=first_fit(["rows: true class · columns: predicted · shade: share of the row",
                                            "rows: true · columns: predicted", "row true · col predicted", ""], room))
        self._strips = self._grid(counts, width, height)

    def _grid(self, counts: np.ndarray, width: int, height: int) -> list[Strip]:
        k = len(counts)
        base = self.rich_style
        bg = base.bgcolor.get_truecolor() if base.bgcolor is not None else (0, 0, 0)
        label = max(len("true"), len(str(k - 1)) + 2)       # "true" above the row labels, "● 3" beside each row
        cell_w = max(3, min(9, (width - label - 1) // k))
        cell_h = max(1, min(3, (height - 3) // k))         # the header, the column labels and the accuracy line
        rows = counts.sum(1, keepdims=True)
        share = np.where(rows > 0, counts / np.maximum(rows, 1), 0.0)
        strips = [Strip([Segment(" " * (label + 1), base),
                         Segment(f"{'predicted →':^{cell_w * k}}"[:cell_w * k], base + Style(dim=True))])]
        heads = [Segment("true".ljust(label + 1), base + Style(dim=True))]
        for c in range(k):
            heads.append(Segment(f"{'● ' + str(c):^{cell_w}}", base + Style(color=Color.from_rgb(*class_rgb(c)))))
        strips.append(Strip(heads))
        for r in range(k):
            for line in range(cell_h):
                middle = line == cell_h // 2
                text = f"● {r}" if middle else ""
                segments = [Segment(f"{text:>{label}} ", base + Style(color=Color.from_rgb(*class_rgb(r))))]
                for c in range(k):
                    n = int(counts[r, c])
                    shade = bg if n == 0 else blend(bg, RIGHT_RGB if r == c else WRONG_RGB,
                                                     LIGHTEST + (1 - LIGHTEST) * 0.85 * float(share[r, c]))
                    style = base + Style(bgcolor=Color.from_rgb(*shade), bold=n > 0, dim=n == 0)
                    segments.append(Segment(f"{n if middle else '':^{cell_w}}", style))
                strips.append(Strip(segments))
        total = int(counts.sum())
        right = int(np.trace(counts))
        if len(strips) < height and total:
            note = first_fit([f"{right} of {total} right ({right / total:.1%})", f"{right}/{total} right",
                              f"{right / total:.0%} right"], width - label - 1)
            strips.append(Strip([Segment(" " * (label + 1) + note, base)]))
        return [strip.adjust_cell_length(width, base) for strip in strips[:height]]
