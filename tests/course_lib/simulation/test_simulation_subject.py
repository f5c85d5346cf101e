"""Tests for simulate_subject: contrasts, lesions, deformation, determinism, pathology, errors."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from course_lib.simulation import simulate_subject
from course_lib.simulation.deformation import random_deformation


def _means(subject, contrast):
    image = subject.images[contrast]
    return {
        k: float(image[subject.labels == v].mean()) for k, v in (("csf", 1), ("gm", 2), ("wm", 3))
    }


def test_fields_shapes_and_dtypes(lesion_subject, anatomy):
    s = lesion_subject
    assert s.shape == anatomy.shape and np.array_equal(s.affine, anatomy.affine)
    assert set(s.images) == {"T1w", "T2w", "PD", "FLAIR"}
    assert all(im.dtype == np.float32 and im.shape == s.shape for im in s.images.values())
    assert s.tissue_probs.shape == (3,) + s.shape and s.tissue_probs.dtype == np.float32
    assert s.labels.dtype == np.uint8 and s.regions.dtype == np.uint8
    assert s.brain_mask.dtype == bool and s.lesion_mask.dtype == bool
    assert s.rater_masks.shape == (5,) + s.shape and s.rater_masks.dtype == bool
    assert s.template_coords.shape == (3,) + s.shape and s.template_coords.dtype == np.float32
    assert s.true_affine.shape == (4, 4) and s.tumor_labels is None
    assert s.meta["lesion_count"] > 0 and s.meta["lesion_volume_ml"] > 0.5


def test_contrast_ordering_in_brain_tissue(lesion_subject):
    s = lesion_subject
    t1, t2, flair = (_means(s, c) for c in ("T1w", "T2w", "FLAIR"))
    assert t1["wm"] > t1["gm"] > t1["csf"]
    assert t2["csf"] > t2["gm"] > t2["wm"]
    assert flair["csf"] < 0.5 * flair["gm"]
    lesion = {c: float(s.images[c][s.lesion_mask].mean()) for c in s.images}
    assert lesion["FLAIR"] > 1.5 * flair["gm"]
    assert lesion["T2w"] > t2["wm"] and lesion["T1w"] < t1["wm"]


def test_lesions_lie_in_template_white_matter(lesion_subject, anatomy):
    coords = lesion_subject.template_coords[:, lesion_subject.lesion_mask]  # (3, N) mm
    vox = np.rint((coords - anatomy.affine[:3, 3, None]) / anatomy.spacing).astype(int)
    assert (anatomy.labels[vox[0], vox[1], vox[2]] == 3).mean() >= 0.9


@pytest.mark.parametrize("seed", range(6))
def test_deformations_are_invertible(seed):
    radial = ((np.array([25.0, -10.0, 20.0]), 0.3, 18.0),) if seed % 2 else ()
    deformation, min_jac = random_deformation(np.random.default_rng(seed), 1.5, radial)
    assert min_jac > 0
    # independent check: finite differences of the displacement on a 2-mm grid
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = [-98, -134, -72]
    u = deformation.displacement((99, 117, 95), affine)
    grad = np.stack([np.stack(np.gradient(u[i], 2.0)) for i in range(3)])
    grad += np.eye(3)[:, :, None, None, None]
    det = np.linalg.det(np.moveaxis(grad, (0, 1), (-2, -1)))
    assert det.min() > 0
    assert abs(det.min() - min_jac) < 0.05


def test_reported_min_jacobian(lesion_subject):
    assert 0 < lesion_subject.min_jacobian < 1  # non-trivial but invertible
    assert lesion_subject.min_jacobian == pytest.approx(lesion_subject.deformation.min_jacobian())


def test_identity_deformation_gives_template_coordinates(anatomy):
    s = simulate_subject(seed=5, contrasts=("T1w",), deformation_strength=0.0)
    idx = np.indices(s.shape).reshape(3, -1).astype(float)
    world = (anatomy.affine[:3, :3] @ idx + anatomy.affine[:3, 3:]).reshape((3,) + s.shape)
    np.testing.assert_allclose(s.template_coords, world, atol=1e-3)
    np.testing.assert_allclose(s.tissue_probs, anatomy.tissue_probs, atol=1e-4)
    assert (s.labels == anatomy.labels).mean() > 0.9999  # only exact ties may flip
    assert np.array_equal(s.brain_mask, anatomy.mask)


def test_determinism_and_seed_dependence(lesion_subject):
    again = simulate_subject("siemens_verio_3t", seed=0, lesions=True, n_raters=5)
    for c in again.images:
        assert np.array_equal(again.images[c], lesion_subject.images[c])
    assert np.array_equal(again.rater_masks, lesion_subject.rater_masks)
    assert np.array_equal(again.tissue_probs, lesion_subject.tissue_probs)
    other = simulate_subject("siemens_verio_3t", seed=1, contrasts=("T1w",))
    assert not np.array_equal(other.images["T1w"], lesion_subject.images["T1w"])
    assert np.abs(other.template_coords - lesion_subject.template_coords).max() > 1.0


def test_pairwise_rater_dice_in_expert_range(lesion_subject):
    masks = lesion_subject.rater_masks
    dice = [2 * (a & b).sum() / (a.sum() + b.sum()) for a, b in itertools.combinations(masks, 2)]
    assert 0.5 <= np.mean(dice) <= 0.85
    assert np.std([m.sum() for m in masks]) > 0  # raters differ in how much they draw


def test_tumor_has_brats_compartments(tumor_subject):
    s = tumor_subject
    labels, counts = np.unique(s.tumor_labels, return_counts=True)
    assert set(labels) == {0, 1, 2, 4}
    flair = s.images["FLAIR"]
    assert flair[s.tumor_labels == 2].mean() > flair[s.labels == 3].mean()  # oedema bright
    t1ce = s.images["T1ce"]
    assert t1ce[s.tumor_labels == 4].mean() > 1.5 * t1ce[s.labels == 3].mean()  # enhancing rim
    assert s.min_jacobian < 1  # mass effect compresses tissue


def test_atrophy_enlarges_ventricles():
    base = simulate_subject(seed=2, contrasts=("T1w",))
    atrophied = simulate_subject(seed=2, contrasts=("T1w",), atrophy=0.8)
    ventricles = 7
    assert (atrophied.regions == ventricles).sum() > 1.5 * (base.regions == ventricles).sum()
    assert (atrophied.labels == 1).sum() > (base.labels == 1).sum()


def test_low_lesion_load():
    for seed in range(3):
        s = simulate_subject(seed=seed, low_lesion_load=True, contrasts=("FLAIR",))
        assert len(s.meta["lesions_drawn"]) <= 2 and s.meta["lesion_volume_ml"] < 0.2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (
            dict(center="siemens_prisma"),
            "siemens_verio_3t.*ge_discovery_3t.*siemens_aera_1.5t.*philips_ingenia_3t",
        ),
        (dict(resolution=3), r"\(1, 2\)"),
        (dict(lesions=True, n_raters=-1), "n_raters"),
        (dict(seed=-1), "seed"),
        (dict(contrasts=("T1w", "DWI")), "contrasts"),
        (dict(n_raters=3), "lesions=True"),
        (dict(atrophy=2.0), "atrophy"),
    ],
)
def test_bad_input_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate_subject(**kwargs)
