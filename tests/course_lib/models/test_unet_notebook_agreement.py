"""The chapter 04 notebook's from-scratch U-Net and ``course_lib.models.UNet`` agree.

The scratch model is not copied here: the test reads the notebook cell that defines
``ScratchUNet`` from ``notebooks/04_unet_segmentation.ipynb`` and executes it, so the two
cannot drift apart.
"""

import pytest
import torch

from course_lib.models import UNet
from tools.notebook_cells import define_from_notebook


@pytest.fixture(scope="module")
def scratch_unet_class():
    return define_from_notebook("04_unet_segmentation.ipynb", "class ScratchUNet")


def _copy_weights(target: torch.nn.Module, source: torch.nn.Module) -> None:
    with torch.no_grad():
        for p_target, p_source in zip(target.parameters(), source.parameters(), strict=True):
            assert p_target.shape == p_source.shape
            p_target.copy_(p_source)


@pytest.mark.parametrize(
    "channels, size", [((16, 32, 64, 128), (32, 48)), ((4, 8), (6, 10)), ((3, 6, 12), (12, 20))]
)
def test_scratch_and_library_unet_agree(scratch_unet_class, channels, size):
    torch.manual_seed(0)
    scratch = scratch_unet_class(in_channels=2, n_classes=3, channels=channels)
    library = UNet(2, 2, 3, channels=channels, norm=None)
    n_scratch = sum(p.numel() for p in scratch.parameters())
    assert n_scratch == sum(p.numel() for p in library.parameters())
    _copy_weights(library, scratch)
    x = torch.randn(2, 2, *size)
    with torch.no_grad():
        expected = scratch(x)
        got = library(x)
    assert got.shape == (2, 3, *size)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)


def test_skip_connections_matter_for_the_agreement(scratch_unet_class):
    """Sanity check of the comparison itself: a library U-Net without skips differs."""
    torch.manual_seed(0)
    scratch = scratch_unet_class(in_channels=1, n_classes=2, channels=(4, 8))
    library = UNet(2, 1, 2, channels=(4, 8), norm=None, skip_connections=False)
    assert sum(p.numel() for p in library.parameters()) < sum(
        p.numel() for p in scratch.parameters()
    )
