"""A run's status: what a student would say of its loss curve, decided on the loss over the whole training split.

The status is read first, so it must agree with the curve. Each rule looks at the recent window of the
run's full-data loss (the last half of its steps, at least WINDOW points, at most what the record keeps),
never at one mini-batch or one update, which noise flips at random. The rules, in order:

- **waiting**: no step taken yet.
- **diverged**: the run tripped `train.diverge_factor` (or its loss became NaN/Inf) and was stopped.
- **diverging**: its loss is over DIVERGING_FACTOR times where it started, or it has only risen
  across the window (by more than RISE).
- **oscillating**: within the window it fell and climbed back by at least SWING of the window's top, at least
  twice (one burst on a flat curve is a jolt), and the swings are not dying out (the later half of the window swings at least half as much as the earlier half);
  or it went up and down and ended higher (its last third above its first third by more than FLAT).
- **noisy**: the same swings in a run that steps on mini-batches (`sampled`): each step follows the gradient of
  different samples, so the loss on the whole split jitters round its level; that is the samples, not a step
  size too large (a full batch at that lr would settle), and a larger batch or a smaller lr calms it.
- **converged**: its loss is below NEGLIGIBLE of where it started (nothing visible is left to learn), or it is
  flat (the medians of the window's first and last thirds within FLAT of each other, or, where the loss is
  drawn on a linear axis, within FLAT of its starting loss: noise from mini-batches averages out, a lone
  spike does not count, and a creep that does not show beside the fall already made is not news) at a level that is not stuck, or its schedule has brought the lr to (almost) 0 (`frozen`:
  from here on its curve is flat, whatever the window shows).
  A flat run at the lowest loss its model can reach (a linear model's least squares) is converged, however far
  above another model or the constant predictor it is. A run whose loss still fell, over the last third of the
  steps, 2·FLAT of itself and VISIBLE of the chart's height is learning: the window may be a small part of a
  long run.
- **stuck**: flat, yet no better than predicting a constant (within BASELINE_SHARE of the data's baseline:
  the mean for regression, ln k for k balanced classes), or no lower than where it started (a watched
  script's run, whose baseline nntui cannot know, flat at ln 3 for its first 40 steps had read "converged"),
  or FAR_ABOVE times above another run that is
  still in the race, or, where the lowest reachable loss is known (a linear model's least squares), flat
  and not creeping down while short of it by more than FLOOR_SHARE of the way from its start: it has
  stopped learning long before the data allowed (alone, too, with no other run to compare). A curve that
  fell (or jumped) early in the window and has been flat over its last third is judged on that flat stretch
  (a run that collapsed to a plateau far above the others is stuck, one that got to the bottom converged).
- **stopped**: early stopping ended it (the validation loss stopped improving), or the run ended and early
  stopping put its best step's weights back: either way its best weights are back.
- **overfitting**: (with a validation split) the validation loss has climbed OVERFIT above its lowest point,
  or half that while climbing steadily since (RISING_POINTS points or more since the lowest, at least CREEP
  of them up: not a wobble), while the training loss went on falling below where it was then: it is
  learning the training points' noise. Decided after diverged/diverging: a curve falling on the training split says "learning" otherwise.
- **learning**: falling, and none of the above; or flat on the screen's scale yet still creeping down (at
  least CREEP of its steps go down) while more than FLAT above another run: a small learning rate crawling
  toward a level another run has reached is not done.

Where the loss panel draws each run's loss less the lowest the model can reach (view.above_floor), every rule
reads the loss less that floor, as drawn: a run still halving its distance to the best fit is learning, however
flat its loss is at its own level.

No torch, no Textual: record.py applies it, the table and the JSON show it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, replace

STATUSES = ("waiting", "learning", "converged", "stuck", "oscillating", "noisy", "overfitting", "stopped", "diverging",
            "diverged")

WINDOW = 8                # the fewest recent points a status is judged on (fewer: still learning)
DIVERGING_FACTOR = 2.0    # twice the starting loss: blowing up, before diverge_factor stops it
RISE = 0.1                # a window that only rose, by more than 10%: heading up
SWING = 0.2               # climbing back by 20% of the window's top after a fall: an oscillation
FLAT = 0.02               # less than 2% of change across the window: flat
NEGLIGIBLE = 1e-6         # a millionth of the starting loss: converged, however the last digits move
OVERFIT = 0.2             # validation loss 20% above its lowest (20 held-out points wobble by 10%), the training loss lower than then: overfitting
RISING_POINTS = 5         # validation points since its lowest, mostly rising: a climb, not a wobble (then OVERFIT / 2 is enough)
BASELINE_SHARE = 0.9      # flat within 10% of the constant predictor's loss: it learned nothing
FAR_ABOVE = 10.0          # flat ten times above another run: stuck far above what the data allow
NOISE = 1e-3              # changes below 0.1% of the window's top are not a direction
CREEP = 0.8               # 80% of the window's steps going down: still creeping, however slowly
FLOOR_SHARE = 0.05        # flat with 5% of the way from its start to the reachable minimum left: stuck
FROZEN = 1e-3             # an lr below this share of its largest: the run no longer moves (a schedule ended at 0)
PLATEAU = 6               # the fewest points of a window's last third that a plateau is judged on (two single
                          # points of a falling curve's last three, 0.553 and 0.524, read flat: devices at step 90)
VISIBLE = 0.05            # a fall over the last third of the steps of 5% of the chart's height: it shows


def last_half(points: Sequence[tuple[int, float]], step: int) -> list[float]:
    """The losses of the last half of the steps."""
    return [v for s, v in points if s >= step / 2]


def window(points: Sequence[tuple[int, float]], step: int) -> list[float]:
    """The losses a status is judged on: those of the last half of the steps, at least WINDOW of them."""
    recent = last_half(points, step)
    return recent if len(recent) >= WINDOW else [v for _, v in points[-WINDOW:]]


def run_status(losses: Sequence[float], *, step: int, diverged_at: int | None, first: float,
               baseline: float = math.nan, floor: float = math.nan, best_other: float = math.nan,
               held_out: tuple[float, float, float, float, bool] | None = None, stopped: bool = False,
               level: float | None = None, frozen: bool = False, linear: bool = False,
               above_floor: bool = False, earlier: float = math.nan, recent: int = 0, sampled: bool = False) -> str:
    """The status of a run whose recent full-data losses are `losses` (see the module's rules).

    `first`: its loss before the first update; `baseline`: the loss of predicting a constant (NaN where there is
    none); `floor`: the lowest loss the model can reach (NaN where it is not known); `best_other`: the lowest loss now of the other runs that have not diverged (NaN when alone);
    `held_out`: (validation loss now, its lowest, training loss now, training loss at that lowest point, whether
    it has climbed steadily since) where there is a validation split; `stopped`: early stopping ended the run; `level`: its loss compared with
    `best_other` (default: the training loss now; the validation loss where every run has one, so that a
    regularized run is not called stuck beside one that memorized its training points); `frozen`: its lr is
    now FROZEN or less of its largest; `linear`: the loss is drawn on a linear axis, where a change of FLAT of
    the starting loss does not show; `above_floor`: the loss is drawn less `floor` (view.above_floor), and judged
    so: a run halving its distance to the best possible is learning, however flat its loss is at its own level;
    `earlier`: its loss two thirds of the steps ago (NaN where unknown): the window can be a small part of a long
    run, and a curve still falling over the last third of the chart is not converged. `recent`: how many of the
    last losses lie in the last half of the steps (0: all of them), the level a swing is measured against.
    `sampled`: it steps on mini-batches, so its swings are the samples' noise (noisy), not oscillation."""
    if diverged_at is not None:
        return "diverged"
    if stopped:
        return "stopped"
    if step == 0 or not losses:
        return "waiting"
    curve = _Curve(list(losses), first, baseline, floor, best_other, level, frozen, linear, above_floor, earlier,
                   recent, sampled)
    if above_floor and math.isfinite(floor):  # every level measured from the floor, as the chart draws it
        curve = curve.less_floor()
    return _early_status(curve, held_out) or _trend_status(curve) or _flat_status(curve) or "learning"


@dataclass(frozen=True)
class _Curve:
    """What the rules read of one run (run_status's arguments)."""

    losses: list[float]
    first: float
    baseline: float
    floor: float
    best_other: float
    level: float | None
    frozen: bool
    linear: bool
    above_floor: bool
    earlier: float
    recent: int
    sampled: bool = False

    def less_floor(self) -> _Curve:
        """Every level less the floor: the loss as the chart draws it (view.above_floor)."""
        f = self.floor
        return replace(self, losses=[v - f for v in self.losses], first=self.first - f, baseline=self.baseline - f,
                       best_other=self.best_other - f, earlier=self.earlier - f,
                       level=None if self.level is None else self.level - f, floor=0.0)

    @property
    def now(self) -> float:
        return self.losses[-1]

    @property
    def third(self) -> int:
        return len(self.losses) // 3

    def thirds(self) -> tuple[float, float]:
        """The medians of the window's first and last thirds: an optimizer's lone spike (Adam's, now and then) is
        not a trend."""
        return statistics.median(self.losses[:self.third]), statistics.median(self.losses[-self.third:])

    def plateau(self) -> tuple[float, float]:
        """The means of the first and last halves of the window's last third: flat there, it fell and has stopped."""
        third = self.third
        half_third = max(third // 2, 1)
        return (sum(self.losses[-third:][:half_third]) / half_third, sum(self.losses[-half_third:]) / half_third)

    def still(self, a: float, b: float, drawn: bool = True) -> bool:
        """Flat from a to b at its own level, or (`drawn`), on a linear axis, next to the fall it made from its
        start (a loss at 0.3% of its start, halving again, lies on the axis of a chart that starts there)."""
        return abs(a - b) <= FLAT * a or drawn and self.linear and abs(a - b) <= FLAT * self.first  # (False: NaN)


def _early_status(c: _Curve, held_out: tuple[float, float, float, float, bool] | None) -> str | None:
    """Blowing up, overfitting, at (almost) nothing, or too few points to say more."""
    if not math.isfinite(c.now) or c.now > DIVERGING_FACTOR * c.first:
        return "diverging"
    if held_out is not None and overfitting(*held_out):
        return "overfitting"
    if c.now <= NEGLIGIBLE * c.first:
        return "converged"
    return "learning" if len(c.losses) < 4 else None


def _trend_status(c: _Curve) -> str | None:
    """Only rising (diverging), or swinging back and forth without dying out (oscillating)."""
    losses = c.losses
    top = max(losses)
    moves = [b - a for a, b in zip(losses, losses[1:]) if abs(b - a) > NOISE * top]
    turns = sum(1 for a, b in zip(moves, moves[1:]) if (a > 0) != (b > 0))
    if moves and turns == 0 and moves[0] > 0 and c.now > (1 + RISE) * losses[0]:
        return "diverging"
    early, late = c.thirds()
    half = len(losses) // 2
    # a swing that comes back: one burst on a flat curve (Adam's, now and then) is a jolt, not an oscillation
    # a swing is measured against the top of the last half of the run, not the fall a window reaching further
    # back made first (binary_classification at step 80, evaluated every 10 steps, climbed back 0.012 -> 0.092
    # and 0.029 -> 0.095 beside a window of 8 points that began at 0.51: "learning")
    level_top = max(losses[-c.recent:]) if c.recent >= 2 else top
    if turns and (late > (1 + FLAT) * early or _climbs(losses, SWING * level_top) >= 2
                  and _swing(losses[half:]) >= _swing(losses[:half + 1]) / 2):
        # (batch_size: batch 32, 8 and 1 bounce round the minimum they reached; "oscillating" read as a step too large)
        return "noisy" if c.sampled else "oscillating"
    return None


def _flat_status(c: _Curve) -> str | None:
    """A flat curve (or one whose lr is now 0): stuck, converged, or still creeping down; None where it is not flat."""
    early, late = c.thirds()
    ends = c.plateau()
    if not (c.frozen or c.still(early, late) or c.third >= PLATEAU and c.still(*ends)):
        return None
    # stuck only where it has stopped at its own level: a loss still halving far below its start, flat on a
    # linear axis, has stopped nowhere (a perceptron at 99% given x1·x2, 10× above a hidden layer's loss)
    stopped = c.frozen or c.still(early, late, drawn=False) or c.third >= PLATEAU and c.still(*ends, drawn=False)
    return _flat_verdict(c, stopped)


def _flat_verdict(c: _Curve, stopped: bool) -> str:
    """What a flat curve is: `stopped` at its own level (not merely flat on a linear axis)."""
    now, floor = c.now, c.floor
    mine = now if c.level is None else c.level
    # at the lowest its model can reach (a straight line's least squares) a run is converged, however far above
    # a better model or near a constant it is: nothing is left for it to learn
    reached = not c.above_floor and now <= (1 + FLAT) * floor  # (drawn less its floor, the chart shows the gap)
    falling = not c.frozen and _falls_visibly(c.earlier, now, c.first, c.linear, c.best_other)
    if stopped and not reached and not falling and (now >= BASELINE_SHARE * c.baseline
                                                    or mine >= FAR_ABOVE * c.best_other
                                                    or now >= (1 - FLAT) * c.first):
        return "stuck"
    if reached:
        return "converged"
    losses = c.losses
    creeping = not c.frozen and sum(1 for a, b in zip(losses, losses[1:]) if b < a) >= CREEP * (len(losses) - 1)
    short = now - floor > FLOOR_SHARE * (c.first - floor) and now > (1 + FLAT) * floor  # False while NaN
    if creeping and (mine > (1 + FLAT) * c.best_other or short):
        return "learning"
    if short:
        return "stuck"
    return "learning" if falling else "converged"


def _falls_visibly(earlier: float, now: float, first: float, linear: bool, best_other: float = math.nan) -> bool:
    """Over the last third of the steps the loss fell from `earlier` to `now` by 2·FLAT or more of itself and by
    VISIBLE of the chart's height: a linear axis from 0 to `first`; a log axis from `first` down to the lowest of
    it and the other runs (`best_other`): a 6% creep of a run stuck at 0.46 is flat beside one at 0.0016. The
    end of its curve still points down."""
    if not earlier > (1 + 2 * FLAT) * now or not first > now:  # a few % at its own level at least (False while NaN)
        return False
    if linear:  # the axis runs from 0 to about where the runs started
        return earlier - now > VISIBLE * first
    bottom = min(now, best_other) if best_other > 0 else now  # (NaN: alone)
    return now > 0 and math.log(earlier / now) > VISIBLE * math.log(first / bottom)


def overfitting(val_now: float, val_low: float, train_now: float, train_then: float, rising: bool = False) -> bool:
    """The validation loss has climbed OVERFIT above its lowest (half that where it has `rising` steadily since)
    while the training loss kept falling."""
    climbed = val_now > (1 + (OVERFIT / 2 if rising else OVERFIT)) * val_low
    return climbed and train_now < train_then  # False while any is NaN


def rising_since_lowest(values: Sequence[float]) -> bool:
    """The validation losses since their lowest (`values` starts there) have climbed steadily: RISING_POINTS or
    more, at least CREEP of the steps between them up."""
    ups = sum(1 for a, b in zip(values, values[1:]) if b > a)
    return len(values) > RISING_POINTS and ups >= CREEP * (len(values) - 1)


def _climbs(losses: Sequence[float], size: float) -> int:
    """How many times the loss climbed back by `size` or more from its lowest since the last such climb."""
    count, low = 0, math.inf
    for v in losses:
        low = min(low, v)
        if v - low >= size:
            count, low = count + 1, v
    return count


def _swing(losses: Sequence[float]) -> float:
    """How far the loss climbed back after its lowest point so far, at most (0 for a loss that only falls)."""
    low, climb = math.inf, 0.0
    for v in losses:
        low = min(low, v)
        climb = max(climb, v - low)
    return climb
