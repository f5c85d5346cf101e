"""NIfTI + JSON round trip of a subject."""

from __future__ import annotations

import json

import nibabel as nib
import numpy as np

from course_lib.simulation import Subject


def test_round_trip_preserves_data_and_affine(lesion_subject, tmp_path):
    lesion_subject.to_nifti(tmp_path / "s")
    back = Subject.from_nifti(tmp_path / "s")
    for c, image in lesion_subject.images.items():
        assert np.array_equal(back.images[c], image)
    for name in ("tissue_probs", "labels", "brain_mask", "regions", "lesion_mask", "rater_masks"):
        original, loaded = getattr(lesion_subject, name), getattr(back, name)
        assert loaded.dtype == original.dtype and np.array_equal(loaded, original), name
    assert np.array_equal(back.affine, lesion_subject.affine)
    assert np.array_equal(back.true_affine, lesion_subject.true_affine)
    assert np.array_equal(back.template_coords, lesion_subject.template_coords)
    assert back.min_jacobian == lesion_subject.min_jacobian
    assert back.meta == json.loads(json.dumps(lesion_subject.meta))
    assert (back.center, back.seed, back.tumor_labels) == (lesion_subject.center, 0, None)


def test_files_are_standard_nifti(lesion_subject, tmp_path):
    lesion_subject.to_nifti(tmp_path)
    flair = nib.load(tmp_path / "FLAIR.nii")  # readable by any NIfTI tool
    np.testing.assert_array_equal(flair.affine, lesion_subject.affine)
    np.testing.assert_array_equal(flair.get_fdata(dtype=np.float32), lesion_subject.images["FLAIR"])
    probs = nib.load(tmp_path / "tissue_probs.nii")
    assert probs.shape == lesion_subject.shape + (3,)


def test_tumor_round_trip(tumor_subject, tmp_path):
    back = Subject.from_nifti(tumor_subject.to_nifti(tmp_path))
    assert np.array_equal(back.tumor_labels, tumor_subject.tumor_labels)
    assert np.array_equal(back.images["T1ce"], tumor_subject.images["T1ce"])
