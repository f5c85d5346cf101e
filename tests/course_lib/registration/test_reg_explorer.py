"""Tests of the chapter-03 affine explorer's pure logic (course_lib.registration.explorer)."""

import numpy as np
import pytest

from course_lib.registration import affine_matrix, identity_params
from course_lib.registration.affine_registration import N_FREE_PARAMS
from course_lib.registration.explorer import (
    FAMILIES,
    RegistrationExplorer,
    SweepBrowser,
    checkerboard,
    constrain_params,
    free_parameters,
    matrix_text,
    overlay_rgb,
    slider_to_params,
    sweep_readout,
)


def _volume(shape=(24, 28, 20), seed=0):
    rng = np.random.default_rng(seed)
    i, j, k = np.indices(shape)
    blob = np.exp(-((i - 12) ** 2 + (j - 14) ** 2 * 0.5 + (k - 10) ** 2) / 40.0)
    return blob + 0.01 * rng.standard_normal(shape)


def test_free_parameter_counts_match_the_lecture_and_register_affine():
    for family in FAMILIES:
        assert len(free_parameters(family)) == N_FREE_PARAMS[3][family]
    assert len(free_parameters("rigid")) == 6 and len(free_parameters("affine")) == 12


def test_constrain_params_projects_onto_each_family():
    q = np.array([1, 2, 3, 0.1, -0.2, 0.3, 1.1, 0.9, 1.2, 0.05, -0.1, 0.2])
    rigid = constrain_params(q, "rigid")
    np.testing.assert_array_equal(rigid[:6], q[:6])
    np.testing.assert_array_equal(rigid[6:], [1, 1, 1, 0, 0, 0])
    r = affine_matrix(rigid)[:3, :3]
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)  # a rotation
    sim = constrain_params(q, "similarity")
    np.testing.assert_array_equal(sim[6:], [1.1, 1.1, 1.1, 0, 0, 0])
    np.testing.assert_array_equal(constrain_params(q, "affine"), q)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="family"):
        constrain_params(identity_params(3), "rigid-body")
    with pytest.raises(ValueError, match="12 parameters"):
        constrain_params(np.zeros(6), "rigid")
    with pytest.raises(ValueError, match="tiles"):
        checkerboard(np.ones((4, 4)), np.ones((4, 4)), tiles=1)


def test_slider_angles_are_degrees():
    q = slider_to_params([0, 0, 0, 90, 0, 0, 1, 1, 1, 0, 0, 0])
    assert q[3] == pytest.approx(np.pi / 2)


def test_checkerboard_alternates_and_overlay_is_grey_when_equal():
    f, m = np.zeros((8, 8)), np.ones((8, 8))
    f[0, 0] = 1.0  # non-constant so the scaling keeps it
    board = checkerboard(f, m, tiles=2)
    assert board[0, 0] == 1.0 and board[0, 7] == 1.0 and board[7, 7] == 0.0
    img = np.random.default_rng(0).random((6, 5))
    rgb = overlay_rgb(img, img)
    np.testing.assert_allclose(rgb[..., 0], rgb[..., 1])


def test_identity_leaves_the_image_and_readout_changes_with_a_slider():
    vol = _volume()
    aff = np.diag([2.0, 2.0, 2.0, 1.0])
    aff[:3, 3] = [-24.0, -28.0, -20.0]
    explorer = RegistrationExplorer(vol, vol, aff, aff)
    np.testing.assert_allclose(explorer.moved_slice(), vol[:, :, 10], atol=1e-6)
    assert explorer.similarity() == pytest.approx(1.0, abs=1e-5)
    before = explorer.readout()
    assert "affine: 12 degrees of freedom" in before and "NCC" in before
    q = identity_params(3)
    q[0] = 6.0
    after = explorer.readout(q)
    assert after != before and explorer.similarity(q) < 0.99
    assert matrix_text(explorer.matrix(q)).splitlines()[0].split()[-1] == "6.000"
    # rigid ignores a zoom slider
    q[6] = 1.2
    np.testing.assert_allclose(explorer.matrix(q, "rigid")[:3, :3], np.eye(3))


def test_widget_has_sliders_and_a_readout():
    widgets = pytest.importorskip("ipywidgets")
    vol = _volume()
    explorer = RegistrationExplorer(vol, vol, np.eye(4), np.eye(4))
    ui = explorer.widget()
    family, grid, row = ui.children
    sliders = grid.children
    readout = row.children[0]
    assert len(sliders) == 12 and all(isinstance(s, widgets.FloatSlider) for s in sliders)
    text = readout.value
    sliders[0].value = 5.0
    assert readout.value != text
    family.value = "rigid"
    assert sliders[6].disabled and not sliders[0].disabled
    import matplotlib.pyplot as plt

    plt.close("all")


def test_sweep_browser_readout_and_widget():
    jac = [np.ones((5, 4)), np.full((5, 4), -0.5)]
    browser = SweepBrowser([0.01, 1.0], jac, [0.80, 0.75], [2.5, 0.0], affine_dice=0.70)
    assert browser.readout(0) == sweep_readout(0.01, 0.80, 2.5, 0.70)
    assert "+0.100 vs affine" in browser.readout(0) and "2.50 % folding" in browser.readout(0)
    with pytest.raises(ValueError, match="same"):
        SweepBrowser([0.1], jac, [0.8], [0.0], 0.7)
    import matplotlib.pyplot as plt

    plt.close(browser.draw(1))
    widgets = pytest.importorskip("ipywidgets")
    ui = browser.widget()
    slider, label = ui.children[0].children
    assert isinstance(slider, widgets.IntSlider)
    before = label.value
    slider.value = 1
    assert label.value != before and "γ = 1" in label.value
    plt.close("all")
