"""The lecture's 12-parameter affine: composition, decomposition, torch version."""

import math

import numpy as np
import pytest
import torch

from course_lib.geometry import affine_matrix_torch
from course_lib.registration import affine_matrix, apply_affine, decompose_affine, identity_params


def _lecture_product(q):
    """The six matrices of the lecture slide, written out independently."""
    c, s = np.cos, np.sin
    t = np.eye(4)
    t[:3, 3] = q[:3]
    rx = np.array([[1, 0, 0, 0], [0, c(q[3]), s(q[3]), 0], [0, -s(q[3]), c(q[3]), 0], [0, 0, 0, 1]])
    ry = np.array([[c(q[4]), 0, s(q[4]), 0], [0, 1, 0, 0], [-s(q[4]), 0, c(q[4]), 0], [0, 0, 0, 1]])
    rz = np.array([[c(q[5]), s(q[5]), 0, 0], [-s(q[5]), c(q[5]), 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    z = np.diag([q[6], q[7], q[8], 1.0])
    sh = np.array([[1, q[9], q[10], 0], [0, 1, q[11], 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    return t @ rx @ ry @ rz @ z @ sh


def _random_params(rng, n=1):
    q = np.empty((n, 12))
    q[:, :3] = rng.uniform(-30, 30, (n, 3))
    q[:, 3] = rng.uniform(-math.pi, math.pi, n)
    q[:, 4] = rng.uniform(-1.4, 1.4, n)
    q[:, 5] = rng.uniform(-math.pi, math.pi, n)
    q[:, 6:9] = rng.uniform(0.5, 1.8, (n, 3))
    q[:, 9:] = rng.uniform(-0.4, 0.4, (n, 3))
    return q


def test_affine_matrix_equals_lecture_product():
    rng = np.random.default_rng(0)
    for q in _random_params(rng, 50):
        np.testing.assert_allclose(affine_matrix(q), _lecture_product(q), atol=1e-12)


def test_identity_and_batch():
    np.testing.assert_allclose(affine_matrix(identity_params(3)), np.eye(4), atol=0)
    np.testing.assert_allclose(affine_matrix(identity_params(2)), np.eye(3), atol=0)
    q = _random_params(np.random.default_rng(1), 4)
    batch = affine_matrix(q)
    assert batch.shape == (4, 4, 4)
    np.testing.assert_allclose(batch[2], _lecture_product(q[2]), atol=1e-12)


def test_rotation_is_orthonormal_and_pure_rotation_has_unit_det():
    q = identity_params(3)
    q[3:6] = [0.3, -0.7, 1.1]
    r = affine_matrix(q)[:3, :3]
    np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(r) == pytest.approx(1.0)


def test_decompose_round_trips_parameters():
    rng = np.random.default_rng(2)
    for q in _random_params(rng, 100):
        np.testing.assert_allclose(decompose_affine(affine_matrix(q)), q, atol=1e-9)


def test_decompose_round_trips_any_invertible_matrix_including_reflection():
    rng = np.random.default_rng(3)
    for k in range(50):
        m = np.eye(4)
        m[:3, :3] = rng.normal(size=(3, 3))
        m[:3, 3] = rng.normal(size=3) * 10
        if k % 2:
            m[:3, 0] *= -1  # change orientation
        q = decompose_affine(m)
        np.testing.assert_allclose(affine_matrix(q), m, atol=1e-9)
        assert q[7] > 0 and q[8] > 0 and np.sign(q[6]) == np.sign(np.linalg.det(m[:3, :3]))
        assert -math.pi / 2 <= q[4] <= math.pi / 2


def test_decompose_gimbal_lock_still_reconstructs():
    q = identity_params(3)
    q[3:6] = [0.4, math.pi / 2, 0.2]
    np.testing.assert_allclose(
        affine_matrix(decompose_affine(affine_matrix(q))), affine_matrix(q), atol=1e-9
    )


def test_2d_composition_and_round_trip():
    rng = np.random.default_rng(4)
    for _ in range(30):
        p = np.r_[
            rng.uniform(-20, 20, 2),
            rng.uniform(-3, 3),
            rng.uniform(0.5, 2, 2),
            rng.uniform(-0.5, 0.5),
        ]
        c, s = math.cos(p[2]), math.sin(p[2])
        ref = (
            np.array([[1, 0, p[0]], [0, 1, p[1]], [0, 0, 1]])
            @ np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])
            @ np.diag([p[3], p[4], 1.0])
            @ np.array([[1, p[5], 0], [0, 1, 0], [0, 0, 1]])
        )
        np.testing.assert_allclose(affine_matrix(p), ref, atol=1e-12)
        np.testing.assert_allclose(decompose_affine(ref), p, atol=1e-9)


def test_torch_version_matches_and_is_differentiable():
    q = _random_params(np.random.default_rng(5), 3)
    qt = torch.tensor(q, dtype=torch.float64, requires_grad=True)
    np.testing.assert_allclose(
        affine_matrix_torch(qt).detach().numpy(), affine_matrix(q), atol=1e-12
    )
    assert torch.autograd.gradcheck(affine_matrix_torch, (qt,))


def test_apply_affine():
    m = affine_matrix([1, 2, 3, 0, 0, 0, 2, 2, 2, 0, 0, 0])
    np.testing.assert_allclose(apply_affine(m, [[1.0, 1.0, 1.0]]), [[3.0, 4.0, 5.0]])


@pytest.mark.parametrize("bad", [[0.0] * 5, [0.0] * 13])
def test_wrong_parameter_count_is_explained(bad):
    with pytest.raises(ValueError, match="12 parameters"):
        affine_matrix(bad)


def test_decompose_rejects_singular_and_projective():
    with pytest.raises(ValueError, match="singular"):
        decompose_affine(np.diag([1.0, 0.0, 1.0, 1.0]))
    m = np.eye(4)
    m[3, 0] = 0.1
    with pytest.raises(ValueError, match="last row"):
        decompose_affine(m)


def test_registration_simulation_and_augmentation_share_one_convention():
    """The three former users of an affine (each had its own rotation order) now agree."""
    from course_lib import registration
    from course_lib.augmentation import Affine
    from course_lib.geometry import linear_part
    from course_lib.simulation.deformation import (
        ROTATION_DEG,
        SCALING,
        TRANSLATION_MM,
        random_affine,
    )

    # registration re-exports the geometry functions themselves
    assert registration.affine_matrix is affine_matrix
    # simulation: the matrix is affine_matrix of the drawn lecture parameters
    rng_a, rng_b = np.random.default_rng(7), np.random.default_rng(7)
    drawn = random_affine(rng_a)
    angles = np.deg2rad(rng_b.uniform(-ROTATION_DEG, ROTATION_DEG, 3))
    zooms = 1.0 + rng_b.uniform(-SCALING, SCALING, 3)
    shift = rng_b.uniform(-TRANSLATION_MM, TRANSLATION_MM, 3)
    np.testing.assert_allclose(drawn, affine_matrix(np.r_[shift, angles, zooms, 0, 0, 0]))
    # augmentation: its voxel-space matrix is the lecture's R @ Z
    for ndim, rotation, zoom in (
        (3, (5.0, -7.0, 11.0), (1.1, 0.9, 1.05)),
        (2, (13.0,), (1.2, 0.8)),
    ):
        m, _ = Affine(rotation_deg=rotation, scale=zoom).matrix(ndim)
        q = identity_params(ndim)
        if ndim == 3:
            q[3:6], q[6:9] = np.deg2rad(rotation), zoom
        else:
            q[2], q[3:5] = np.deg2rad(rotation[0]), zoom
        np.testing.assert_allclose(m, affine_matrix(q)[:ndim, :ndim])
        np.testing.assert_allclose(m, linear_part(np.deg2rad(rotation), zoom, 0.0, ndim))


def test_linear_part_checks_its_arguments():
    from course_lib.geometry import linear_part

    with pytest.raises(ValueError, match="rotation_rad needs 1 or 3"):
        linear_part((0.1, 0.2), 1.0)
    with pytest.raises(ValueError, match="ndim"):
        linear_part(0.1, ndim=4)
