"""Live edits of an experiment, and writing it back out as a scenario file.

An edited experiment is always written with explicit variants: each
[[variant]] lists what differs from the base [data] / [model] / [train]
tables, so the file reproduces every run (a sweep becomes its variants).
Every edit goes back through the loader, so it is validated like a file.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import tomli_w

from ..claims import parse as parse_claim
from ..claims import renamed
from ..files import write_atomically
from .live import LIVE_FIELDS, changed_fields
from .loader import _DATA, Scenario, Variant, load_raw
from .spec import ModelSpec, TrainSpec


def explicit_raw(scenario: Scenario) -> dict[str, Any]:
    """The scenario's TOML, with its sweep expanded into one [[variant]] per run."""
    raw = copy.deepcopy(scenario.raw or {})
    raw.pop("sweep", None)
    bases = {
        "data": _DATA.validate_python(raw["data"]).model_dump(mode="json") if "data" in raw else {},
        "model": ModelSpec.model_validate(raw.get("model", {})).model_dump(mode="json"),
        "train": TrainSpec.model_validate(raw.get("train", {})).model_dump(mode="json"),
    }
    # each run states its own training length: steps in one run and epochs in another cannot share a base
    for key in ("steps", "epochs"):
        raw.get("train", {}).pop(key, None)
        bases["train"][key] = None
    variants = []
    for v in scenario.variants:
        entry: dict[str, Any] = {"label": v.label}
        parent = None
        if v.branch is not None:  # what it changes from its parent: the loader lays that over the parent's entry
            entry["from"] = f"{v.branch[0]}@{v.branch[1]}"
            parent = next(p for p in scenario.variants if p.label == v.branch[0])
        for section, spec in (("data", v.data), ("model", v.model), ("train", v.train)):
            if spec is None:
                continue
            now = spec.model_dump(mode="json")
            base = bases[section] if parent is None else getattr(parent, section).model_dump(mode="json")
            if section == "data" and now.get("kind") != base.get("kind"):
                diff = now  # another kind of data: the whole table
            else:
                diff = {k: value for k, value in now.items() if base.get(k) != value}
            if diff:
                entry[section] = _drop_none(diff)
        variants.append(entry)
    raw["variant"] = variants
    return raw


def with_variant(scenario: Scenario, index: int, changes: dict[str, Any]) -> Scenario:
    """The scenario with run `index` changed (`changes` maps "section.field" to a value); validated."""
    raw = explicit_raw(scenario)
    entry = raw["variant"][index]
    entry["label"] = edited_label(scenario.variants[index].label, changes)
    for key, value in changes.items():
        section, _, field = key.partition(".")
        if field == "label":
            entry["label"] = value
            continue
        entry.setdefault(section, {})[field] = value
        if section == "train" and field in ("steps", "epochs"):  # one training length, not both
            entry["train"].pop("epochs" if field == "steps" else "steps", None)
    _refocus(raw, scenario.variants[index].label, entry["label"])
    return _reload(scenario, raw)


def live_problem(before: Variant, after: Variant) -> str | None:
    """Why run `before` cannot go on as `after` without starting over, as a one-line hint; None: it can."""
    fixed = [f for f in changed_fields(before, after) if f not in LIVE_FIELDS]
    if fixed:
        return f"{fixed[0]} cannot change mid-run (press Apply to restart the run with it)"
    if after.model.dropout_rates() and not before.model.dropout_rates():
        return "dropout can change mid-run only where the model already has it (press Apply to restart)"
    return None


def edited_label(label: str, changes: dict[str, Any]) -> str:
    """Mark an edited run with ✎; a sweep's "lr=0.005" label follows the new value ("lr=0.01 ✎")."""
    label = label.removesuffix(" ✎")
    parts = []
    for part in label.split(", "):
        name, eq, _ = part.partition("=")
        key = next((k for k in changes if k.rpartition(".")[2] == name), None) if eq else None
        parts.append(f"{name}={changes[key]}" if key else part)
    return ", ".join(parts) + " ✎"


def with_branch(scenario: Scenario, index: int, step: int, changes: dict[str, Any], label: str) -> Scenario:
    """A new run: run `index` up to `step`, then with `changes` ("section.field" → value); appended (the others
    keep their places) under `label`. Validated: only what can change mid-run, and the optimizer, may change."""
    raw = explicit_raw(scenario)  # (the loader refuses what cannot be: a branch of a branch, a fixed field)
    entry: dict[str, Any] = {"label": label, "from": f"{raw['variant'][index]['label']}@{step}"}
    for key, value in changes.items():
        section, _, field = key.partition(".")
        entry.setdefault(section, {})[field] = value
    raw["variant"].append(entry)
    return _reload(scenario, raw)


def with_copy(scenario: Scenario, index: int, label: str) -> Scenario:
    """A new run: a copy of run `index` under a new label (append: the others keep their places)."""
    raw = explicit_raw(scenario)
    entry = copy.deepcopy(raw["variant"][index])
    entry["label"] = label
    raw["variant"].append(entry)
    return _reload(scenario, raw)


def without(scenario: Scenario, index: int) -> Scenario:
    raw = explicit_raw(scenario)
    if len(raw["variant"]) <= 1:
        raise ValueError("the last run cannot be removed")
    del raw["variant"][index]
    _refocus(raw, scenario.variants[index].label, None)
    return _reload(scenario, raw)


def to_toml(scenario: Scenario, raw: dict[str, Any] | None = None) -> str:
    head = (f"# {scenario.title}: written by nntui from '{scenario.name}' after live edits.\n"
            f"# `nntui run` this file to reproduce every run.\n")
    return head + tomli_w.dumps(raw if raw is not None else explicit_raw(scenario), multiline_strings=True)


def write(scenario: Scenario, folder: Path) -> Path:
    """Write the experiment as `<name>-edited.toml` (then -2, -3… rather than overwrite).

    A scenario that reads a CSV file is written next to the file it was loaded from, whatever `folder`
    says: its CSV path is relative to that folder, and must stay inside it. Where that folder is read-only
    (a shared course folder), it goes to `folder` with a copy of each CSV file beside it."""
    raw = explicit_raw(scenario)
    tables = [t for t in (raw.get("data"), *(v.get("data") for v in raw["variant"]))
              if isinstance(t, dict) and t.get("kind") == "csv" and "path" in t]
    if tables and scenario.base_dir is not None:
        if os.access(scenario.base_dir, os.W_OK):
            folder = scenario.base_dir
        else:
            for table in tables:
                table["path"] = _copy_beside(scenario.base_dir / table["path"], folder)
    path = folder / f"{scenario.name}-edited.toml"
    k = 2
    while path.exists():
        path = folder / f"{scenario.name}-edited-{k}.toml"
        k += 1
    write_atomically(path, to_toml(scenario, raw))
    return path


def _copy_beside(source: Path, folder: Path) -> str:
    """A copy of the CSV file `source` in `folder` (the same file there is used as it is; another of its name
    gets the copy a -2, -3… name); returns the copy's name, the path the written scenario gives."""
    data = source.read_bytes()
    target, k = folder / source.name, 2
    while target.exists() and not (target.is_file() and target.read_bytes() == data):
        target = folder / f"{source.stem}-{k}{source.suffix}"
        k += 1
    if not target.exists():
        write_atomically(target, data)
    return target.name


def _refocus(raw: dict[str, Any], old: str, new: str | None) -> None:
    """Beats, claims and small multiples (view.runs) about a run follow it when its label changes; when it is
    removed, its beats lose their focus, and its claims and its place in view.runs go."""
    for beat in raw.get("lesson", {}).get("beats", []):
        if beat.get("focus") == old:
            if new is None:
                del beat["focus"]
            else:
                beat["focus"] = new
    for variant in raw.get("variant", []):  # a branch names its parent: the new name, or (parent gone) none
        parent, at, step = variant.get("from", "").rpartition("@")
        if at and parent == old:
            if new is None:
                raise ValueError(f"'{old}' has a branch, '{variant['label']}': remove the branch first")
            variant["from"] = f"{new}@{step}"
    for name, labels in raw.get("view", {}).get("runs", {}).items():  # small multiples name their runs too
        raw["view"]["runs"][name] = [new if label == old else label for label in labels if label != old or new]
    if "check" in raw:
        about = [old in parse_claim(c["that"]).runs for c in raw["check"]]
        raw["check"] = [c if not mentions or new is None else {**c, "that": renamed(c["that"], old, new)}
                        for c, mentions in zip(raw["check"], about) if new is not None or not mentions]


def _reload(scenario: Scenario, raw: dict[str, Any]) -> Scenario:
    return load_raw(raw, source=f"{scenario.name} (edited)", base_dir=scenario.base_dir or Path("."),
                    name=scenario.name)


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    # TOML has no null: a field left at None is the default anyway
    return {k: v for k, v in values.items() if v is not None}
