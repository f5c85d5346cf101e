"""NIfTI header text fields, scrubbing, and the MNI face half-space."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest

from course_lib.privacy import face_mask, nifti_header_report, scrub_nifti_header

COMMENT = b'{"PatientName": "Doe^John"}'


def _image_with_text():
    img = nib.Nifti1Image(np.arange(24, dtype=np.float32).reshape(2, 3, 4), np.diag([2, 2, 2, 1]))
    img.header["descrip"] = b"Doe^John 1970-01-01 T1 MPRAGE"
    img.header["aux_file"] = b"john_doe.lut"
    img.header["intent_name"] = b"zscore"
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, COMMENT))
    return img


def test_header_report_lists_free_text():
    report = nifti_header_report(_image_with_text())
    assert report["descrip"] == "Doe^John 1970-01-01 T1 MPRAGE"
    assert report["aux_file"] == "john_doe.lut" and report["intent_name"] == "zscore"
    assert report["db_name"] == "" and report["extensions"] == f"code 6: {len(COMMENT)} bytes"
    assert "db_name" not in nifti_header_report(nib.Nifti2Image(np.zeros((2, 2, 2)), np.eye(4)))
    with pytest.raises(TypeError, match="Nifti1Image"):
        nifti_header_report(np.zeros((2, 2, 2)))


def test_scrub_clears_text_keeps_voxels_and_geometry(tmp_path):
    img = _image_with_text()
    clean = scrub_nifti_header(img)
    assert set(nifti_header_report(clean).values()) == {""}
    assert nifti_header_report(img)["descrip"]  # the original is untouched
    np.testing.assert_array_equal(clean.get_fdata(), img.get_fdata())
    np.testing.assert_array_equal(clean.affine, img.affine)
    nib.save(clean, tmp_path / "clean.nii.gz")  # survives a round trip through a file
    reloaded = nib.load(tmp_path / "clean.nii.gz")
    assert set(nifti_header_report(reloaded).values()) == {""}
    assert b"Doe" not in (tmp_path / "clean.nii.gz").read_bytes()


@pytest.mark.parametrize("resolution", [2])
def test_face_mask_is_in_front_of_and_below_the_mni_brain(resolution):
    datasets = pytest.importorskip("nilearn.datasets")
    brain_img = datasets.load_mni152_brain_mask(resolution=resolution)  # ships with nilearn
    brain = brain_img.get_fdata() > 0.5
    face = face_mask(brain.shape, brain_img.affine)
    assert face.shape == brain.shape and face.dtype == bool
    assert not (face & brain).any()  # never removes brain
    assert 0.05 < face.mean() < 0.12  # but a sizeable anterior-inferior block
    ijk = np.argwhere(face)
    world = nib.affines.apply_affine(brain_img.affine, ijk)
    assert world[:, 1].min() >= 20 and world[:, 2].max() < 0  # anterior and inferior
    brain_world = nib.affines.apply_affine(brain_img.affine, np.argwhere(brain))
    assert world[:, 2].mean() < brain_world[:, 2].min() + 40  # below most of the brain


def test_face_mask_follows_the_affine():
    # flipping the first voxel axis must flip the mask (world coordinates, not voxel indices)
    affine = np.array([[2.0, 0, 0, -90], [0, 2, 0, -126], [0, 0, 2, -72], [0, 0, 0, 1]])
    flipped = affine.copy()
    flipped[0, 0], flipped[0, 3] = -2.0, 90.0
    shape = (91, 109, 91)
    a, b = face_mask(shape, affine), face_mask(shape, flipped)
    np.testing.assert_array_equal(a, b)  # the plane does not depend on x
    swapped = affine.copy()
    swapped[[1, 2]] = swapped[[2, 1]]  # voxel axes 1 and 2 exchanged in world space
    assert not np.array_equal(face_mask(shape, swapped), a)
    with pytest.raises(ValueError, match="4 x 4"):
        face_mask(shape, np.eye(3))
