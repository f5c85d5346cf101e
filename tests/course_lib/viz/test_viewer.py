import matplotlib

matplotlib.use("Agg")
import numpy as np
import pytest

from course_lib.viz.viewer import SliceViewer


def _viewer():
    volume = np.arange(4 * 5 * 6, dtype=float).reshape(4, 5, 6)
    labels = np.zeros((4, 5, 6), dtype=np.uint8)
    labels[2, 3, 4] = 3
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = [-4, -4, -6]
    return SliceViewer(volume, affine, overlay=labels, label_names={3: "WM"})


def test_readout_reports_voxel_world_value_and_label():
    viewer = _viewer()
    text = viewer.readout((2, 3, 4))
    assert "voxel (2, 3, 4)" in text and "world (0, 2, 2) mm" in text
    assert "intensity 82" in text and "label 3 (WM)" in text


def test_widget_slider_changes_readout():
    viewer = _viewer()
    widget = viewer.widget()
    sliders = widget.children[0].children
    readout = widget.children[1].children[1]
    before = readout.value
    sliders[0].value = 0
    assert readout.value != before and "voxel (0," in readout.value


def test_static_figure_and_shape_check():
    assert len(_viewer().static_figure().axes) >= 3
    with pytest.raises(ValueError, match="resample"):
        SliceViewer(np.zeros((3, 3, 3)), np.eye(4), overlay=np.zeros((2, 3, 3)))
