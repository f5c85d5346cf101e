"""Chapter 05's hand-written elastic deformation and ``ElasticDeformation`` agree.

The test reads the notebook cell that defines ``elastic_by_hand`` and executes it, so the two
cannot drift apart.
"""

import numpy as np
import pytest
import torch
from scipy import ndimage

import course_lib.augmentation as A
from tools.notebook_cells import define_from_notebook

from .conftest import phantom


@pytest.fixture(scope="module")
def elastic_by_hand():
    return define_from_notebook(
        "05_data_augmentation.ipynb", "def elastic_by_hand", {"np": np, "ndimage": ndimage}
    )


@pytest.mark.parametrize("grid, sd, seed", [(6, 4.0, 3), (4, 1.5, 0), (8, 3.0, 1)])
def test_hand_written_and_library_elastic_agree(elastic_by_hand, grid, sd, seed):
    sample = phantom((40, 52), seed=seed)
    sample = {
        "image": torch.cat([sample["image"], 2 * sample["image"]]).double(),
        "label": sample["label"],
    }
    nodes = np.random.default_rng(seed).normal(0.0, sd, size=(2, grid, grid))
    image, label, u = elastic_by_hand(sample["image"].numpy(), sample["label"].numpy(), nodes)
    library = A.ElasticDeformation(nodes)(sample)
    np.testing.assert_allclose(u, A.dense_displacement(nodes, (40, 52)), atol=1e-5)
    np.testing.assert_allclose(library["image"].numpy(), image, atol=1e-5)
    # nearest neighbour: the two libraries may round a tie (x.5) differently
    assert np.mean(library["label"].numpy() == label) > 0.995


def test_the_comparison_can_fail(elastic_by_hand):
    """Sanity check of the comparison itself: other node displacements give another image."""
    sample = phantom((40, 52))
    nodes = np.random.default_rng(0).normal(0.0, 3.0, size=(2, 6, 6))
    image, _, _ = elastic_by_hand(sample["image"].numpy(), sample["label"].numpy(), nodes)
    other = A.ElasticDeformation(-nodes)(sample)["image"].numpy()
    assert np.abs(other - image).max() > 0.1
