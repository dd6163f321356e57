"""The confusion panel (panels/confusion/): its counts by hand, on the validation split, measured only where shown,
and refused for regression."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nntui.engine import Engine
from nntui.errors import ScenarioError
from nntui.panels.confusion.probe import confusion_matrix
from nntui.scenario import load
from nntui.scenario.loader import load_path


def test_confusion_matrix_by_hand():
    scores = torch.tensor([[3.0, 0, 0], [0, 2.0, 0], [2.0, 0, 0], [0, 0, 1.0], [0, 1.0, 0]])
    want = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1]])  # row: true class 0, 1, 2
    assert np.array_equal(confusion_matrix(scores, torch.tensor([0, 1, 1, 2, 2]), 3), want)
    logits = torch.tensor([[1.0], [-1.0], [2.0]])
    assert np.array_equal(confusion_matrix(logits, torch.tensor([[1.0], [1.0], [0.0]]), 2), [[0, 1], [1, 1]])


def test_the_confusion_panel_counts_the_validation_split_only_when_shown():
    sc = load("multiclass")
    measured = Engine(sc, "cpu").frame().runs[0].measured
    assert measured["confusion_split"] == "validation"
    counts = measured["confusion"]
    assert counts.sum() == len(sc.variants[0].dataset.x_val) and counts.shape == (4, 4)
    assert "confusion" not in (Engine(load("binary_classification"), "cpu").frame().runs[0].measured or {})  # not shown


def test_the_confusion_panel_refuses_regression(write_scenario):
    text = ('[scenario]\ntitle = "t"\n[data]\nkind = "linear"\nn = 20\nstop = 3.0\n[model]\nkind = "linear"\n'
            '[view]\npanels = ["loss", "confusion"]\n')
    with pytest.raises(ScenarioError, match="the confusion panel counts classes"):
        load_path(write_scenario(text))
