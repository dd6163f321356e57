"""The README's lists of names are the catalogs' keys: a new optimizer, panel or data kind the README
does not mention (or one it still lists after removal) fails here, not in a reader's terminal."""

from __future__ import annotations

import re
from pathlib import Path
from typing import get_args

import pytest

from nntui import catalog
from nntui.panels import PANELS
from nntui.scenario import spec

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def format_comment(key: str) -> str:
    """The comment after `key = …` in the README's annotated scenario file."""
    found = re.search(rf"^#? *{re.escape(key)} *= *[^#\n]*#([^\n]*)", README, re.MULTILINE)
    assert found, f"the README's scenario format has no `{key} = …  # …` line"
    return found.group(1)


def names_in(comment: str) -> set[str]:
    """The names a comment lists: 'default (PyTorch's) | zeros | normal (init_std)' → {default, zeros, normal}."""
    comment = re.sub(r"\([^)]*\)", " ", comment.split(":")[-1] if comment.strip().startswith("also") else comment)
    return {word for word in re.split(r"[\s|,]+", comment) if re.fullmatch(r"[a-z_]+", word)}


@pytest.mark.parametrize("key, names", [
    ("optimizer", set(catalog.OPTIMIZERS)),
    ("loss", set(catalog.LOSSES)),
    ("activation", set(catalog.ACTIVATIONS)),
    ("schedule", set(catalog.SCHEDULES)),
    ("kind", set(get_args(spec.ModelSpec.model_fields["kind"].annotation))),
])
def test_the_scenario_format_lists_every_name_of_a_catalog(key, names):
    assert names_in(format_comment(key)) == names


def test_inits_and_surfaces_are_each_named_once():
    assert set(catalog.INITS) <= names_in(format_comment("init"))
    listed = format_comment("surface").split("|")
    assert {part.split()[0] for part in listed} == set(catalog.SURFACES)


@pytest.mark.parametrize("setting", ["momentum", "betas", "eps", "alpha"])
def test_each_optimizer_setting_names_the_optimizers_that_read_it(setting):
    listed = names_in(format_comment(setting).split(":")[0])
    assert listed == set(catalog.optimizers_taking(setting).split(", "))


def test_every_panel_is_described_and_named_in_the_format():
    section = README.split("| panel | shows |")[1].split("\n## ")[0]  # the table and the prose under it
    assert set(PANELS) <= set(re.findall(r"`([a-z_]+)`", section))
    panels_line = re.search(r"^panels *= *\[([^\]]*)\] *#([^\n]*)", README, re.MULTILINE)
    assert panels_line, "the README's scenario format has no `panels = [...]  # also: ...` line"
    shown, also = set(re.findall(r'"([a-z_]+)"', panels_line.group(1))), names_in(panels_line.group(2))
    assert shown | also == set(PANELS) and not shown & also


def test_every_data_kind_has_a_row():
    table = README.split("The data kinds are:")[1].split("\n\n")[1]
    assert set(re.findall(r"^\| `([a-z_]+)` \|", table, re.MULTILINE)) == set(spec.DATA_KINDS)
