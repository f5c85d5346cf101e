"""course_lib.real_data.ixi on a miniature IXI served from 127.0.0.1 (chapters 03a, 07, 08)."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from course_lib.real_data import RealDataNotCachedError, ixi_subjects

RNG = np.random.default_rng(0)
SUBJECTS = [("002", "Guys", "0828"), ("012", "HH", "1211"), ("016", "IOP", "0697")]
# T1: sagittal-like voxel order (axes point P, I, R), 0.94 x 0.94 x 1.2 mm.
T1_AFFINE = np.array([[0, 0, 1.2, -9], [-0.9375, 0, 0, 11], [0, -0.9375, 0, 7], [0, 0, 0, 1]])
# T2 and PD: one dual-echo axial acquisition (axes L, A, S), so one affine.
T2_AFFINE = np.array([[-0.9375, 0, 0, 8], [0, 0.9375, 0, -10], [0, 0, 1.2, -6], [0, 0, 0, 1]])
T1 = {s: RNG.integers(0, 900, (16, 14, 12)).astype(np.int16) for s, _, _ in SUBJECTS}
T2 = {s: RNG.integers(0, 900, (12, 16, 10)).astype(np.int16) for s, _, _ in SUBJECTS}
PD = {s: RNG.integers(0, 900, (12, 16, 10)).astype(np.int16) for s, _, _ in SUBJECTS}


@pytest.fixture
def registry(mirror, build):
    def contrast_tar(suffix, arrays, affine, slope=None):
        return build.tar(
            {
                f"IXI{s}-{site}-{n}-{suffix}.nii.gz": build.nifti_gz(arrays[s], affine, slope)
                for s, site, n in SUBJECTS
            }
        )

    return mirror(
        {
            "ixi_t1": ("IXI-T1.tar", contrast_tar("T1", T1, T1_AFFINE), True, {}),
            "ixi_t2": ("IXI-T2.tar", contrast_tar("T2", T2, T2_AFFINE), True, {}),
            "ixi_pd": ("IXI-PD.tar", contrast_tar("PD", PD, T2_AFFINE, slope=0.5), True, {}),
        }
    )


def _canonical(array, affine):
    image = nib.as_closest_canonical(nib.Nifti1Image(array, affine))
    return np.asarray(image.dataobj, dtype=np.float32), image.affine


def test_t1_subjects_come_through_the_mirror_in_ras_order(registry):
    subjects = ixi_subjects(("T1w",), download=True, registry=registry)
    assert [s.id for s in subjects] == ["IXI002", "IXI012", "IXI016"]
    assert [s.center for s in subjects] == ["Guys", "HH", "IOP"]
    for subject, (sid, _, _) in zip(subjects, SUBJECTS):
        expected, affine = _canonical(T1[sid], T1_AFFINE)
        assert nib.aff2axcodes(subject.affine) == ("R", "A", "S")
        assert subject.images["T1w"].dtype == np.float32
        assert np.array_equal(subject.images["T1w"], expected)
        assert np.allclose(subject.affine, affine)
        assert subject.labels is None and subject.brain_mask is None
        assert np.allclose(sorted(subject.spacing), [0.9375, 0.9375, 1.2])
    again = ixi_subjects(("T1w",), n=1, registry=registry)  # cached now: no download needed
    assert np.array_equal(again[0].images["T1w"], subjects[0].images["T1w"])


def test_not_cached_names_the_command(registry):
    with pytest.raises(RealDataNotCachedError, match="python -m data_fetch get ixi_t1"):
        ixi_subjects(("T1w",), registry=registry)


def test_resampled_to_the_profile_resolution(registry):
    (subject,) = ixi_subjects(("T1w",), n=1, resolution=2.0, download=True, registry=registry)
    assert np.allclose(subject.spacing, (2.0, 2.0, 2.0))
    assert nib.aff2axcodes(subject.affine) == ("R", "A", "S")
    # R, A, S distance between the first and last voxel centres of the T1 grid, covered
    extent = np.array([11 * 1.2, 15 * 0.9375, 13 * 0.9375])
    shape = np.array(subject.shape)
    assert np.all((shape - 1) * 2.0 >= extent - 1e-6) and np.all((shape - 2) * 2.0 < extent)


def test_t2_and_pd_share_one_grid_and_pd_is_scaled(registry):
    subjects = ixi_subjects(("T2w", "PD"), download=True, registry=registry)
    for subject, (sid, _, _) in zip(subjects, SUBJECTS):
        assert subject.images["T2w"].shape == subject.images["PD"].shape
        expected, _ = _canonical(PD[sid].astype(np.float32) * 0.5, T2_AFFINE)
        assert np.allclose(subject.images["PD"], expected)


def test_t1_with_t2_is_refused_with_the_reason(registry):
    with pytest.raises(ValueError, match="not on one voxel grid"):
        ixi_subjects(("T1w", "T2w"), download=True, registry=registry)


def test_sites_and_n_select_subjects(registry):
    assert [
        s.id for s in ixi_subjects(("T1w",), sites=("HH",), download=True, registry=registry)
    ] == ["IXI012"]
    assert len(ixi_subjects(("T1w",), n=2, registry=registry)) == 2
    with pytest.raises(ValueError, match="must be one of"):
        ixi_subjects(("T1",), registry=registry)
    with pytest.raises(ValueError, match="must be one of"):
        ixi_subjects(("T1w",), sites=("Leeds",), registry=registry)
