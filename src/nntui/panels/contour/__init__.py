"""The contour panel: a loss surface (exact, analytic or a slice) with each run's path. One surface at a time (a
run's, where runs see different data): per run, so they can stand side by side."""

from __future__ import annotations

import math

from ..declare import Measured, PanelSpec, Variant

# A contour surface is the loss over the whole training split at every point of its grid (engine/surface.py, which reads these):
# an exact surface (2 parameters) samples SURFACE_SAMPLES across its focus, on a grid that covers any window
# up to SURFACE_ASPECT:1; a slice through a bigger model (random directions) is SLICE_GRID.
SURFACE_SAMPLES = 96
SURFACE_ASPECT = 5.0  # (2.5 left optimizers' wide panel at 120x40 past the grid: its edge values smeared, the bowl lopsided)
SLICE_GRID = (48, 32)
EXACT_POINTS = (2 * math.ceil(SURFACE_ASPECT * SURFACE_SAMPLES / 2) + 1) * (SURFACE_SAMPLES + 1)  # at most
MAX_SURFACE_WORK = 1_000_000_000  # grid points × samples × values per sample: about 2 s a surface on 2 cores


def _problem(variants: tuple[Variant, ...]) -> str | None:
    v = max(variants, key=lambda x: len(x.dataset.x_train))
    exact = variants[0].parameter_count == 2
    points = EXACT_POINTS if exact else SLICE_GRID[0] * SLICE_GRID[1]
    ds = v.dataset
    width = ds.n_features + (sum(v.model.layers) if v.model.kind == "mlp" else 0) + ds.n_outputs
    samples = len(ds.x_train)
    if v.model.kind == "surface" or points * samples * width <= MAX_SURFACE_WORK:
        return None
    most = MAX_SURFACE_WORK // (points * width)
    return (f"the contour panel evaluates the loss on all {samples:,} training samples at each of its {points:,} "
            f"grid points, {points * samples * width:.2g} values a surface (at most {MAX_SURFACE_WORK:.0e}): train on at "
            f"most {most:,} samples (lower data.n), or remove 'contour'")


PANEL = PanelSpec("panels.contour.widget:ContourPanel", frozenset({"path"}), per_run=True, check=_problem,
                  # each run's step now, as its optimizer's state sets it (an arrow at its point), and an adaptive
                  # optimizer's effective lr of each of the two numbers (beside its name)
                  probe="panels.contour.probe:OptimizerNow", own_optimizer=True,
                  measures=(Measured("optimizer_step", "now"), Measured("effective_lr", "now")))
