"""The engine: trains every variant of a scenario side by side with a plain PyTorch loop.

Each step of each run is the textbook loop — zero_grad → forward → loss →
backward → step — on the chosen device. The engine publishes Frames
(numpy only) and never imports Textual.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import torch

from ..frames import Frame, RunFrame, Surface
from ..panels import own_optimizers, panel_probes, probes_for
from ..panels.declare import located
from ..scenario import Scenario, Variant
from . import surface as surfaces
from .batched import BatchedRuns, batch_key
from .build import eval_mode
from .device import resolve_device
from .run import RunState

SLICE_EVERY = 10  # frames between recomputed slices: each costs a pass over the data per grid point


class SliceState:
    """Fixed random directions (seeded) and, per run, a bounded trail of its parameters, one per frame."""

    TRAIL = 256

    def __init__(self, params: Sequence[torch.Tensor], seed: int, members: tuple[int, ...]):
        gen = torch.Generator().manual_seed(seed + 1)
        self.raw = [[torch.randn(p.shape, generator=gen).to(p.device, p.dtype) for p in params] for _ in range(2)]
        self.trails: dict[int, list[torch.Tensor]] = {i: [] for i in members}
        self.frames = 0

    def record(self, run: int, step: int, flat: torch.Tensor) -> None:
        trail = self.trails[run]
        trail.append(flat)
        if len(trail) > self.TRAIL:  # keep the start, thin the rest evenly
            del trail[1::2]


def _steepest_profile(run: RunState, start: np.ndarray, bowl: tuple, raw: tuple) -> dict[str, Any]:
    """The minimum, the Hessian's top eigenvector there (the start on its left) and the loss along it across the
    framed region: the curvature panel's parabola."""
    theta, eigenvalues, vectors = bowl
    v = vectors[:, -1] * (-1 if (start - theta) @ vectors[:, -1] > 0 else 1)
    corners = np.array([(x, y) for x in raw[0] for y in raw[1]]) - theta
    reach = max(float(np.abs(corners @ v).max()), 1e-6) * (1 + surfaces.PAD)
    t = np.linspace(-reach, reach, surfaces.PROFILE)
    along = surfaces.loss_at(run.model, run.loss_fn, run.x, run.y, theta + t[:, None] * v)
    return dict(minimum=(float(theta[0]), float(theta[1])), steepest=(float(v[0]), float(v[1])),
                curvatures=(float(eigenvalues[-1]), float(eigenvalues[0])), profile=np.stack([t, along]))


def _surface_key(v: Variant) -> tuple:
    m = v.model
    return (id(v.dataset), v.train.loss, v.train.device, m.kind, tuple(m.layers), m.activation, m.bias, m.batch_norm)


def _compare_gradients(a: RunState, b: RunState) -> None:
    """The largest |difference| between the two runs' gradients at this step, relative to the largest of a's,
    kept as the worst so far (in a's grad_gaps, under b's label)."""
    if a.step != b.step or not a.step:
        return
    gaps = [float((p.grad - q.grad).abs().max() / p.grad.abs().max().clamp_min(1e-12))
            for p, q in zip(a.params, b.params) if p.grad is not None and q.grad is not None]
    if gaps:
        a.grad_gaps[b.label] = max(a.grad_gaps.get(b.label, 0.0), *gaps)


def _batches(runs: list[RunState], scenario: Scenario, devices: list[str], own_state: bool) -> list[BatchedRuns]:
    """Runs that differ only in SGD's hyper-parameters, trained as one batched computation (engine/batched.py).
    `own_state`: a shown panel reads each run's optimizer state, so a run whose optimizer keeps some (momentum)
    trains alone: a batch keeps its runs' momentum in one tensor of its own."""
    keys: dict[tuple, list[int]] = {}
    for i, (v, d) in enumerate(zip(scenario.variants, devices)):
        # (a branch changes its settings mid-run: it trains alone)
        key = None if (own_state and v.train.momentum) or v.branch else batch_key(v, scenario.run_seed(v), d)
        if key is not None:
            keys.setdefault(key, []).append(i)
    return [BatchedRuns([runs[i] for i in members]) for members in keys.values() if len(members) > 1]


def _surface_groups(scenario: Scenario, exact: bool) -> list[tuple[int, ...]]:
    """Runs with the same data, loss and architecture share a surface: one per group (exact), or the first run's
    group only (a slice costs a pass over the data per grid point)."""
    keys = list(dict.fromkeys(_surface_key(v) for v in scenario.variants))
    return [tuple(i for i, v in enumerate(scenario.variants) if _surface_key(v) == key)
            for key in (keys if exact else keys[:1])]


def _run_options(scenario: Scenario, probes: frozenset[str], panels: tuple[str, ...],
                 track_path: bool) -> dict[str, Any]:
    """What each run measures (RunState's switches): the built-in probes named, the probes of `panels`, and
    the steps claims are judged at or panels are held at (everything is measured there)."""
    return dict(track_path=track_path, graph="graph" in probes, track_lr="lr" in probes,
                panel_probes=tuple(_probe_class(path) for path in panel_probes(panels)),
                checkpoints=frozenset(c.at for c in scenario.checks if c.at is not None)
                | frozenset(scenario.view.at.values()))


def _probe_class(path: str) -> type:
    """A panel's probe class, from its declaration ("panels.weight_norms.probe:WeightNorms")."""
    module, name = located(path)
    return getattr(importlib.import_module(module), name)


class Engine:
    """All variants of one scenario, stepped together (on one device, unless a variant names its own)."""

    def __init__(self, scenario: Scenario, device: str | None = None, batched: bool = True,
                 panels: tuple[str, ...] = ()):
        """`panels`: panels whose probes run besides those the scenario shows and its claims read (headless
        --neurons)."""
        self.scenario = scenario
        self.device = resolve_device(device or scenario.meta.device,
                                     source="--device" if device else f"{scenario.path}: scenario.device")
        # a variant may name its own device (the devices lesson); --device overrides every one
        devices = [self.device if device or v.train.device is None else
                   resolve_device(v.train.device, source=f"{scenario.path}: {v.label}: train.device")
                   for v in scenario.variants]
        # measure only what the shown panels draw and the lesson's claims read
        probes = probes_for(scenario.view.panels)
        measured = tuple(dict.fromkeys((*scenario.measured_panels, *panels)))
        self.contour = "path" in probes
        # two parameters: the exact surface, with every step on the path; more: a random-direction slice
        self.exact = scenario.variants[0].parameter_count == 2
        self._options = _run_options(scenario, probes, measured, track_path=self.contour and self.exact)
        labels = [v.label for v in scenario.variants]
        # claims comparing two runs' gradients (manual backprop against autograd): measured after every step
        self.twins = list(dict.fromkeys((labels.index(m.runs[0]), labels.index(m.runs[1])) for c in scenario.checks
                                        for m in c.claim.measures if m.name == "grad_diff"))
        self._tensors: dict[tuple, tuple[torch.Tensor, ...]] = {}  # each dataset's tensors on each device
        self.devices = devices
        self.runs = [self._new_run(v, d) for v, d in zip(scenario.variants, devices)]
        self.batches = _batches(self.runs, scenario, devices, own_optimizers(measured)) if batched else []
        self._solo = [r for r in self.runs if not any(r in b.runs for b in self.batches)]
        self.groups = _surface_groups(scenario, self.exact)
        self.surface_members = self.groups[0]
        self._surfaces: dict[int, Surface] = {}
        self._bowls: dict[int, tuple] = {}  # group → (its surface key, its start, its minimum and curvature or None)
        if self.contour and not self.exact:
            self._slice = SliceState(self.runs[0].params, scenario.meta.seed, self.surface_members)

    def _new_run(self, variant: Variant, device: str) -> RunState:
        if variant.branch is None:
            return RunState(variant, device, self.scenario.run_seed(variant), self._tensors, **self._options)
        # a branch is its parent, step for step, until it takes its own settings (RunState.branch_to)
        parent = next(v for v in self.scenario.variants if v.label == variant.branch[0])
        run = RunState(parent, device, self.scenario.run_seed(parent), self._tensors, **self._options)
        run.label, run.branch_to = variant.label, variant
        return run

    def restart_run(self, index: int, variant: Variant) -> None:
        """An edited variant starts over from step 0 (same seed: the same initial weights); the others go on."""
        old = self.runs[index]
        for batch in self.batches:  # it leaves its batch (the others keep their optimizer state there)
            if old in batch.runs:
                batch.drop(batch.runs.index(old))
        self.batches = [b for b in self.batches if b.runs]
        self.runs[index] = self._new_run(variant, self.devices[index])  # and trains on its own from now on
        for i, j in self.twins:  # a gradient comparison involving it starts over
            if index in (i, j):
                self.runs[i].grad_gaps.clear()
        self._solo = [r for r in self._solo if r is not old] + [self.runs[index]]
        self.scenario = replace(self.scenario, variants=tuple(
            variant if i == index else v for i, v in enumerate(self.scenario.variants)))

    def continue_run(self, index: int, variant: Variant) -> None:
        """An edited variant goes on from where it is with its new settings (those that can change mid-run)."""
        run = self.runs[index]
        for batch in self.batches:  # its hyper-parameters are its own now: it trains alone
            if run in batch.runs:
                batch.release(batch.runs.index(run))
                self._solo.append(run)
        self.batches = [b for b in self.batches if b.runs]
        run.retune(variant)
        self.scenario = replace(self.scenario, variants=tuple(
            variant if i == index else v for i, v in enumerate(self.scenario.variants)))

    @property
    def step(self) -> int:
        return max(r.step for r in self.runs)

    @property
    def finished(self) -> bool:
        return not any(r.active for r in self.runs)

    def advance(self, n: int, should_stop: Callable[[], bool] | None = None) -> int:
        """Train up to `n` steps (every active run steps once per step); returns the steps taken."""
        done = 0
        for _ in range(n):
            if should_stop is not None and should_stop():
                break
            active = [r for r in self.runs if r.active]
            if not active:
                break
            for batch in self.batches:
                if any(r.active for r in batch.runs):
                    batch.train_step()
            for run in self._solo:
                if run.active:
                    run.train_step()
            for i, j in self.twins:
                _compare_gradients(self.runs[i], self.runs[j])
            done += 1
            if any(r.step in r.checkpoints for r in active):  # a claim is judged here: the caller takes a frame
                break
        return done

    def frame(self) -> Frame:
        """The latest statistics plus every loss since the previous frame (and the surface if it moved)."""
        for batch in self.batches:
            batch.sync()
        runs = tuple(r.frame() for r in self.runs)
        if not self.contour:
            return Frame(self.step, runs)
        changed: Iterable[Surface | None]
        if self.exact:
            changed = (self._update_surface(members, runs) for members in self.groups)
        else:
            changed = (self._update_slice(),)
        return Frame(self.step, runs, tuple(s for s in changed if s is not None))

    def _update_slice(self) -> Surface | None:
        """A slice through the first run's weights now, recomputed every few frames (the weights move)."""
        sl = self._slice
        for i in self.surface_members:
            run = self.runs[i]
            if run.diverged_at is None:
                sl.record(i, run.step, run._flat())
        sl.frames += 1
        if sl.frames % SLICE_EVERY != 1:  # the first frame, then every SLICE_EVERY-th
            return None
        first = self.runs[self.surface_members[0]]
        center = first._flat()
        if not torch.isfinite(center).all():
            return None
        d1, d2 = (torch.cat([d.reshape(-1) for d in surfaces.filter_normalized(raw, first.params)])
                  for raw in sl.raw)
        grid = np.linspace(-surfaces.SLICE_EXTENT, surfaces.SLICE_EXTENT, surfaces.SLICE_GRID[0])
        rows = np.linspace(-surfaces.SLICE_EXTENT, surfaces.SLICE_EXTENT, surfaces.SLICE_GRID[1])
        with eval_mode(first.model):
            z = surfaces.slice_grid(first.model, first.loss_fn, first.x, first.y, center, d1, d2, grid, rows)
        paths = tuple(surfaces.project(torch.stack(sl.trails[i]), center, d1, d2) if sl.trails.get(i)
                      else np.zeros((0, 2)) for i in self.surface_members)
        current = self._surfaces.get(self.surface_members[0])
        ext = (-surfaces.SLICE_EXTENT, surfaces.SLICE_EXTENT)
        surface = Surface("α (random direction 1)", "β (direction 2)", ext, ext, z,
                          (current.version + 1) if current else 1, self.surface_members, paths)
        self._surfaces[self.surface_members[0]] = surface
        return surface

    def _update_surface(self, members: tuple[int, ...], frames: tuple[RunFrame, ...]) -> Surface | None:
        """Recompute a group's loss grid only when the region its paths cover has outgrown it (or shrunk a lot)."""
        boxes = self._path_boxes(members, frames)
        if not boxes:
            return None
        first = self.runs[members[0]]
        start, bowl = self._bowl(members, frames[members[0]])
        if bowl is not None:  # the minimum is framed too: the student sees where the runs are heading
            (m0, m1) = (float(v) for v in bowl[0])
            boxes.append((m0, m0, m1, m1))
        raw = ((min(b[0] for b in boxes), max(b[1] for b in boxes)), (min(b[2] for b in boxes), max(b[3] for b in boxes)))
        padded = surfaces.region(boxes + ([surfaces.around(bowl[0], start)] if bowl is not None else []))
        current = self._surfaces.get(members[0])
        if current is not None:
            cur = current.focus or (current.x_range, current.y_range)
            too_big = any((c[1] - c[0]) > 3 * (p[1] - p[0]) for c, p in zip(cur, padded))
            if surfaces.contains(cur, raw) and not too_big:
                return None
        xs, ys = surfaces.equal_scale_grid(padded)  # equal scale: the panel crops a window of its own shape
        z = surfaces.loss_grid(first.model, first.loss_fn, first.x, first.y, xs, ys)
        names = surfaces.flat_names(first.model)
        curve = _steepest_profile(first, start, bowl, raw) if bowl is not None else {}
        surface = Surface(names[0], names[1], (float(xs[0]), float(xs[-1])), (float(ys[0]), float(ys[-1])), z,
                          (current.version + 1) if current else 1, members, focus=padded, **curve)
        self._surfaces[members[0]] = surface
        return surface

    def _path_boxes(self, members: tuple[int, ...], frames: tuple[RunFrame, ...]) -> list[tuple[float, ...]]:
        """The boxes of the group's paths, each the points whose loss stayed below 2× the start (a run heading for
        divergence does not drag the view along with it); before the first step, or when every member diverged,
        the starting points."""
        runs = [self.runs[i] for i in members]
        boxes = [tuple(r.box) for r in runs if r.box is not None and r.diverged_at is None]
        if not boxes:
            boxes = [tuple(r.box) for r in runs if r.box is not None] or [
                (f.position[0], f.position[0], f.position[1], f.position[1]) for f in (frames[i] for i in members)
                if f.position is not None and np.isfinite(f.position).all()]
        return boxes

    def _bowl(self, members: tuple[int, ...], now: RunFrame) -> tuple[np.ndarray, tuple | None]:
        """Where the group's runs started, and its minimum and the Hessian there (None where not found), found once
        (again after an edit changes its surface); the frame that first reaches here has every point since step 0."""
        first = self.runs[members[0]]
        key = _surface_key(self.scenario.variants[members[0]])
        if self._bowls.get(members[0], (None,))[0] != key:
            start = first._flat().cpu().numpy()
            if now.path is not None and len(now.path) and now.path_steps is not None and now.path_steps[0] == 0:
                start = now.path[0]
            start = np.asarray(start, np.float64)
            self._bowls[members[0]] = (key, start, surfaces.curvature_at(first.model, first.loss_fn, first.x,
                                                                         first.y, start))
        _, start, bowl = self._bowls[members[0]]
        return start, bowl

    def final_parameters(self) -> list[dict[str, list]]:
        for batch in self.batches:
            batch.sync()
        return [r.parameters() for r in self.runs]
