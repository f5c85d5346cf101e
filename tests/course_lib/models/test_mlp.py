"""Tests for course_lib.models.mlp."""

import pytest
import torch

from course_lib.models import MLP, count_parameters, mlp_parameter_count


def test_lecture_parameter_count():
    # Lecture (after Knoll, ISMRM 2018): 10100x3 + 600 + 303 = 31,203.
    assert mlp_parameter_count(106, (100, 100, 100), 3) == 31203
    assert count_parameters(MLP(106, 3)) == 31203
    assert 10100 * 3 + 600 + 303 == 31203


@pytest.mark.parametrize(
    "in_features, hidden, n_classes", [(5, (), 3), (4, (7,), 2), (10, (8, 6, 4, 2), 5)]
)
def test_formula_matches_model(in_features, hidden, n_classes):
    model = MLP(in_features, n_classes, hidden)
    assert count_parameters(model) == mlp_parameter_count(in_features, hidden, n_classes)


def test_forward_shape_and_logits():
    torch.manual_seed(0)
    model = MLP(6, 3, hidden=(8, 8))
    out = model(torch.randn(5, 6))
    assert out.shape == (5, 3)
    # logits, not probabilities: rows do not sum to one in general
    assert not torch.allclose(out.sum(1), torch.ones(5))
    assert model.config == {"in_features": 6, "n_classes": 3, "hidden": (8, 8)}


def test_wrong_input_shape_is_explained():
    with pytest.raises(ValueError, match=r"\(B, 6\)"):
        MLP(6, 3)(torch.randn(5, 7))


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"in_features": 0, "n_classes": 3}, "in_features"),
        ({"in_features": 4, "n_classes": 1}, "n_classes"),
        ({"in_features": 4, "n_classes": 3, "hidden": 100}, "hidden"),
        ({"in_features": 4, "n_classes": 3, "hidden": (100, 0)}, r"hidden\[1\]"),
        ({"in_features": 4.5, "n_classes": 3}, "in_features"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=name):
        MLP(**kwargs)
