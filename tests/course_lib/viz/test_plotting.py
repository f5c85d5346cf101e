import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from course_lib.viz.plotting import orthogonal_slices, plot_history, show_orthogonal


def test_orthogonal_slices_orientation_and_extent():
    volume = np.zeros((4, 5, 6))
    volume[3, 1, 2] = 1.0  # right (high x), posterior, inferior
    affine = np.diag([2.0, 2.0, 3.0, 1.0])
    affine[:3, 3] = [-3, -4, -7.5]
    views = orthogonal_slices(volume, affine, index=(3, 1, 2))
    sagittal, coronal, axial = views
    assert sagittal["image"].shape == (6, 5)  # rows z, columns y
    assert axial["image"].shape == (5, 4)  # rows y, columns x
    assert axial["image"][1, 3] == 1.0  # drawn at column x=3 (subject's right on the right)
    assert axial["extent"] == (-4.0, 4.0, -5.0, 5.0)
    assert axial["world"] == pytest.approx(-7.5 + 3 * 2)


def test_rejects_oblique_affine_with_hint():
    affine = np.eye(4)
    affine[0, 1] = 0.3
    with pytest.raises(ValueError, match="as_closest_canonical"):
        orthogonal_slices(np.zeros((3, 3, 3)), affine)


def test_show_orthogonal_with_overlay_and_history():
    volume = np.random.default_rng(0).random((8, 9, 10))
    labels = (volume > 0.5).astype(np.uint8)
    figure = show_orthogonal(volume, np.eye(4), overlay=labels, title="t")
    assert len(figure.axes) == 3
    ax = plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]})
    assert len(ax.lines) == 2
    with pytest.raises(KeyError, match="available"):
        plot_history({"loss": [1.0]}, keys=["dice"])
