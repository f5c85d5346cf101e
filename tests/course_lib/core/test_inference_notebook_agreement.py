"""Chapter 04's from-scratch slice-wise inference and ``predict_volume`` agree.

The test reads the notebook cell that defines ``segment_slices`` and executes it, so the two
cannot drift apart.
"""

import numpy as np
import pytest
import torch

from course_lib.core.inference import predict_volume
from course_lib.models import UNet
from tools.notebook_cells import define_from_notebook


@pytest.fixture(scope="module")
def segment_slices():
    return define_from_notebook(
        "04_unet_segmentation.ipynb",
        "def segment_slices",
        {"torch": torch, "device": torch.device("cpu")},
    )


@pytest.mark.parametrize("spatial_dims, batch", [(2, 32), (2, 3), (3, 32)])
def test_scratch_and_library_inference_agree(segment_slices, spatial_dims, batch):
    torch.manual_seed(0)
    model = UNet(spatial_dims, 2, 4, channels=(4, 8), norm="instance")
    image = 3 * torch.randn(2, 12, 10, 7)
    ours = segment_slices(model, image, batch=batch).numpy()
    library = predict_volume(model, image, spatial_dims=spatial_dims, batch_size=batch)
    assert ours.shape == library.shape == (12, 10, 7)
    assert len(np.unique(ours)) > 1  # not a constant map: the comparison has content
    np.testing.assert_array_equal(ours, library)


def test_the_comparison_can_fail(segment_slices):
    """Sanity check: slicing along another axis gives other labels."""
    torch.manual_seed(0)
    model = UNet(2, 2, 4, channels=(4, 8), norm="instance")
    image = 3 * torch.randn(2, 12, 10, 8)
    ours = segment_slices(model, image).numpy()
    other = predict_volume(model, image, spatial_dims=2, axis=0)
    assert not np.array_equal(ours, other)
