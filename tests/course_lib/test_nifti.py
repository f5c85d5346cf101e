"""course_lib.nifti.read_nifti: good files read as nibabel does; damaged ones named.

Issue 20, problem 8: corrupt NIfTI files (truncated gzip, negative or huge dimensions,
NaN affine) raised deep numpy/gzip errors without the file name, or loaded silently.
"""

from __future__ import annotations

import gzip
import io
import os

import nibabel as nib
import numpy as np
import pytest

from course_lib.exceptions import CorruptFileError, CourseLibError

ARRAY = np.random.default_rng(0).normal(size=(20, 22, 18)).astype(np.float32)
AFFINE = np.array([[2.0, 0, 0, -20], [0, 2, 0, -22], [0, 0, 2, -18], [0, 0, 0, 1]])
RAW = nib.Nifti1Image(ARRAY, AFFINE).to_bytes()


def _edit(raw: bytes, **fields) -> bytes:
    header = nib.Nifti1Header.from_fileobj(io.BytesIO(raw))
    for name, value in fields.items():
        header[name] = value
    return header.binaryblock + raw[348:]


def _flip_data_byte(compressed: bytes) -> bytes:
    data = bytearray(compressed)
    data[len(data) // 2] ^= 0x10
    return bytes(data)


CORRUPT = {
    "truncated gzip": ("a.nii.gz", gzip.compress(RAW)[:3000], "gzip"),
    "gzip bit flip": ("a.nii.gz", _flip_data_byte(gzip.compress(RAW, mtime=0)), "gzip"),
    "not gzip": ("a.nii.gz", os.urandom(5000), "gzip"),
    "truncated data": ("a.nii", RAW[:2000], "cut short"),
    "header only": ("a.nii", RAW[:352], "cut short"),
    "empty file": ("a.nii", b"", "NIfTI"),
    "negative dimension": ("a.nii", _edit(RAW, dim=[3, -20, 22, 18, 1, 1, 1, 1]), "dimension"),
    "zero dimension": ("a.nii", _edit(RAW, dim=[3, 0, 22, 18, 1, 1, 1, 1]), "dimension"),
    "huge dimensions": ("a.nii", _edit(RAW, dim=[3, 30000, 30000, 30000, 1, 1, 1, 1]), "bytes"),
    "huge dimensions gz": (
        "a.nii.gz",
        gzip.compress(_edit(RAW, dim=[3, 30000, 30000, 30000, 1, 1, 1, 1])),
        "bytes",
    ),
    "nine dimensions": ("a.nii", _edit(RAW, dim=[9, 20, 22, 18, 1, 1, 1, 1]), "NIfTI"),
    "NaN affine": ("a.nii", _edit(RAW, srow_x=[np.nan, 0, 0, 0], sform_code=1), "affine"),
    "singular affine": ("a.nii", _edit(RAW, srow_x=[0, 0, 0, 0], sform_code=1), "affine"),
    "unknown data type": ("a.nii", _edit(RAW, datatype=0), "NIfTI"),
    "data offset past the end": ("a.nii", _edit(RAW, vox_offset=10**7), "cut short"),
    "a PNG named .nii": ("a.nii", b"\x89PNG\r\n\x1a\n" + os.urandom(400), "NIfTI"),
}


@pytest.mark.parametrize("name, data, problem", CORRUPT.values(), ids=CORRUPT.keys())
def test_corrupt_files_raise_one_named_line(tmp_path, name, data, problem):
    from course_lib.nifti import read_nifti

    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CorruptFileError) as info:
        read_nifti(path)
    message = str(info.value)
    assert isinstance(info.value, CourseLibError) and isinstance(info.value, ValueError)
    assert str(path) in message and problem in message and "\n" not in message, message


@pytest.mark.parametrize("name", ["a.nii", "a.nii.gz"])
def test_good_files_read_as_nibabel_reads_them(tmp_path, name):
    from course_lib.nifti import read_nifti

    path = tmp_path / name
    nib.save(nib.Nifti1Image(ARRAY, AFFINE), path)
    data, affine = read_nifti(path)
    reference = nib.load(path)
    assert np.array_equal(data, np.asanyarray(reference.dataobj)) and data.dtype == np.float32
    assert np.array_equal(affine, reference.affine) and affine.dtype == np.float64


def test_four_d_and_nifti2_files_are_read(tmp_path):
    from course_lib.nifti import read_nifti

    four = np.arange(2 * 3 * 4 * 2, dtype=np.int16).reshape(2, 3, 4, 2)
    nib.save(nib.Nifti2Image(four, AFFINE), tmp_path / "b.nii.gz")
    data, _ = read_nifti(tmp_path / "b.nii.gz")
    assert np.array_equal(data, four)


def test_the_size_bound_can_be_lowered(tmp_path):
    from course_lib.nifti import read_nifti

    nib.save(nib.Nifti1Image(ARRAY, AFFINE), tmp_path / "a.nii.gz")
    with pytest.raises(CorruptFileError, match="bytes"):
        read_nifti(tmp_path / "a.nii.gz", max_bytes=1000)


def test_missing_file_is_a_file_not_found_error(tmp_path):
    from course_lib.nifti import read_nifti

    with pytest.raises(FileNotFoundError):
        read_nifti(tmp_path / "nothing.nii.gz")


def test_saved_subject_with_a_damaged_file_names_it(lesion_subject_dir):
    """load_subject (Subject.from_nifti) goes through read_nifti."""
    from course_lib.simulation import load_subject

    path = lesion_subject_dir / "labels.nii.gz"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(CorruptFileError, match="labels.nii.gz"):
        load_subject(lesion_subject_dir)


def test_saved_subject_with_a_cut_sidecar_names_it(lesion_subject_dir):
    from course_lib.simulation import load_subject

    path = lesion_subject_dir / "subject.json"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(CorruptFileError, match="subject.json"):
        load_subject(lesion_subject_dir)


@pytest.fixture
def lesion_subject_dir(tmp_path):
    from course_lib.simulation import save_subject, simulate_subject

    subject = simulate_subject("siemens_verio_3t", seed=0, lesions=True, contrasts=("T1w",))
    return save_subject(subject, tmp_path / "s")
