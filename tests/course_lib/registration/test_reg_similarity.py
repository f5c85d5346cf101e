"""Similarity measures: values against NumPy references, alignment behaviour."""

import numpy as np
import pytest
import torch
from scipy import ndimage

from course_lib.registration import local_ncc, mutual_information, ncc, ssd
from course_lib.registration.similarity import similarity_loss


def _phantom(shape=(48, 48), seed=0):
    rng = np.random.default_rng(seed)
    img = ndimage.gaussian_filter(rng.random(shape), 3)
    img = (img - img.min()) / (img.max() - img.min())
    return np.round(img * 3) / 3 + 0.05 * ndimage.gaussian_filter(rng.random(shape), 1)


def test_ssd_and_ncc_against_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.random(500), rng.random(500)
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    assert float(ssd(ta, tb)) == pytest.approx(np.mean((a - b) ** 2))
    assert float(ncc(ta, tb)) == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-6)
    assert float(ncc(ta, 3 * ta + 2)) == pytest.approx(1.0, abs=1e-6)
    mask = torch.from_numpy(a > 0.5)
    assert float(ssd(ta, tb, mask)) == pytest.approx(np.mean((a - b)[a > 0.5] ** 2))


def test_local_ncc_is_one_for_identical_and_invariant_to_local_gain():
    rng = np.random.default_rng(5)
    texture = ndimage.gaussian_filter(rng.random((48, 48)), 1.5)
    img = torch.from_numpy(texture)[None, None]
    assert float(local_ncc(img, img, window=5, eps=1e-16)) == pytest.approx(1.0, abs=1e-3)
    gain = torch.linspace(1, 1.5, img.shape[-1], dtype=img.dtype).expand_as(img)  # bias field
    assert float(local_ncc(img, img * gain, window=5, eps=1e-16)) > 0.95
    assert float(ncc(img, img * gain)) < 0.8  # the global measure suffers
    assert float(local_ncc(img, img.flip(-1), window=5, eps=1e-16)) < 0.2


def test_mutual_information_matches_hard_histogram_when_kernel_is_narrow():
    rng = np.random.default_rng(1)
    a = rng.random(4000)
    b = np.clip(a + 0.1 * rng.normal(size=a.size), 0, 1)
    bins = 16
    mi = float(mutual_information(torch.from_numpy(a), torch.from_numpy(b), bins=bins, sigma=0.05))

    def pos(x):
        return (x - x.min()) / (x.max() - x.min()) * (bins - 1)

    edges = np.arange(bins + 1) - 0.5
    joint, _, _ = np.histogram2d(pos(a), pos(b), bins=[edges, edges])
    p = joint / joint.sum()
    pa, pb = p.sum(1), p.sum(0)
    nz = p > 0
    ref = np.sum(p[nz] * np.log(p[nz] / np.outer(pa, pb)[nz]))
    assert mi == pytest.approx(ref, rel=1e-3)


@pytest.mark.parametrize("cross_modal", [False, True])
def test_mutual_information_is_highest_when_aligned(cross_modal):
    fixed = _phantom((64, 64), seed=2)
    moving = 1.0 - fixed if cross_modal else fixed  # intensity-inverted "other modality"
    mis = []
    for shift in (0, 2, 5):
        shifted = ndimage.shift(moving, (shift, 0), order=1, mode="nearest")
        mis.append(float(mutual_information(torch.from_numpy(fixed), torch.from_numpy(shifted))))
    assert mis[0] > mis[1] > mis[2]
    if cross_modal:  # NCC is fooled by the inversion, MI is not
        assert float(ncc(torch.from_numpy(fixed), torch.from_numpy(moving))) < -0.9


def test_normalised_mi_range_and_gradient():
    fixed = torch.from_numpy(_phantom((32, 32), seed=3))
    moving = (fixed + 0.05).requires_grad_(True)
    nmi = mutual_information(fixed, moving, normalized=True)
    assert 1.0 <= float(nmi.detach()) <= 2.0
    nmi.backward()
    assert torch.isfinite(moving.grad).all() and moving.grad.abs().sum() > 0


def test_similarity_loss_signs_and_names():
    img = torch.from_numpy(_phantom((32, 32)))[None, None]
    other = img.flip(-1)
    for name in ("ssd", "ncc", "lncc", "mi"):
        loss = similarity_loss(name)
        assert float(loss(img, img)) < float(loss(img, other)), name
    with pytest.raises(ValueError, match="Did you mean 'ncc'"):
        similarity_loss("nccc")
