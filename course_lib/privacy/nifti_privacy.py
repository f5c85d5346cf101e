"""NIfTI privacy: free-text header fields, and the face that a head MRI shows (chapter 11a).

Converting DICOM to NIfTI drops most identifiers, but not all: the header keeps
80 characters of ``descrip`` (converters often write the protocol, date or name
there), a 24-character ``aux_file``, the NIfTI-1 ``db_name`` and a 16-character
``intent_name``, and header *extensions* can carry whole JSON sidecars or DICOM
headers. :func:`nifti_header_report` lists them; :func:`scrub_nifti_header` clears
them without touching the voxels or the affine.

The image itself is the harder problem: a T1-weighted head scan contains the face,
and surface renderings of it can be matched to photographs (Schwarz et al. 2019).
Defacing removes the voxels in front of and below the brain. :func:`face_mask` is
a *teaching approximation* of that region in MNI space -- a half-space, not the
registered face template that real tools (pydeface, mri_deface) use.

References
----------
Cox, R. W. et al. (2004). A (sort of) new image data format standard: NIfTI-1.
https://nifti.nimh.nih.gov/nifti-1
Schwarz, C. G. et al. (2019). Identification of anonymous MRI research participants
with face-recognition software. N Engl J Med 381:1684-1686. doi:10.1056/NEJMc1908881
Bischoff-Grethe, A. et al. (2007). A technique for the deidentification of
structural brain MR images. Hum Brain Mapp 28(9):892-903. doi:10.1002/hbm.20312
"""

from __future__ import annotations

from types import MappingProxyType

import nibabel as nib
import numpy as np

__all__ = ["FACE_PLANE", "face_mask", "nifti_header_report", "scrub_nifti_header"]

_TEXT_FIELDS = ("descrip", "aux_file", "db_name", "intent_name")

#: The face half-space in MNI152 world coordinates (RAS, mm): voxels with
#: ``y >= min_y`` and ``z < intercept + slope * y``, i.e. below the plane through
#: (y=20, z=-47) and (y=68, z=-25.4). Chosen by us so that no voxel of nilearn's
#: MNI152 brain mask (1 and 2 mm) falls inside, with >= 2 mm of margin under the
#: orbitofrontal cortex; it covers eyes, nose, mouth and jaw.
FACE_PLANE = MappingProxyType({"min_y": 20.0, "intercept": -56.0, "slope": 0.45})


def _decode(value) -> str:
    raw = value.item() if hasattr(value, "item") else value
    if isinstance(raw, bytes):
        raw = raw.split(b"\x00", 1)[0].decode("latin-1")
    return str(raw).strip()


def nifti_header_report(img: nib.Nifti1Image) -> dict[str, str]:
    """Free-text content of a NIfTI header, field by field.

    Parameters
    ----------
    img : nibabel.Nifti1Image or nibabel.Nifti2Image
        Image whose header to inspect.

    Returns
    -------
    dict of str to str
        ``descrip``, ``aux_file``, ``db_name`` (NIfTI-1 only) and ``intent_name``
        with their text ("" when empty), plus ``"extensions"``: a short description
        of each header extension (code and size in bytes), "" when there are none.
    """
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
        raise TypeError(
            f"img must be a nibabel Nifti1Image/Nifti2Image, got "
            f"{type(img).__name__}; load files with nibabel.load"
        )
    header = img.header
    report = {name: _decode(header[name]) for name in _TEXT_FIELDS if name in header}
    extensions = header.extensions
    report["extensions"] = "; ".join(
        f"code {ext.get_code()}: {len(ext.get_content())} bytes" for ext in extensions
    )
    return report


def scrub_nifti_header(img: nib.Nifti1Image) -> nib.Nifti1Image:
    """A copy of ``img`` with its free-text header fields and extensions removed.

    Voxel data (same array object), affine, sform/qform codes and units are kept.

    Parameters
    ----------
    img : nibabel.Nifti1Image or nibabel.Nifti2Image

    Returns
    -------
    nibabel.Nifti1Image or nibabel.Nifti2Image
        New image of the same class; :func:`nifti_header_report` of it is all empty.
    """
    nifti_header_report(img)  # type check
    header = img.header.copy()
    for name in _TEXT_FIELDS:
        if name in header:
            header[name] = b""
    header.extensions.clear()
    return img.__class__(img.dataobj, img.affine, header)


def face_mask(
    anatomy_shape: tuple[int, ...],
    affine: np.ndarray,
    *,
    min_y: float = FACE_PLANE["min_y"],
    intercept: float = FACE_PLANE["intercept"],
    slope: float = FACE_PLANE["slope"],
) -> np.ndarray:
    """Boolean mask of the face region (anterior-inferior to the brain) in MNI space.

    A teaching approximation of what defacing removes: all voxels whose centre, in
    world coordinates, lies in front of ``y = min_y`` and below the plane
    ``z = intercept + slope * y``. Valid only for images aligned to MNI152 space
    (e.g. the ICBM152 template or data registered to it).

    Parameters
    ----------
    anatomy_shape : tuple of int
        Image shape ``(X, Y, Z[, ...])``; only the first three axes are used.
    affine : numpy.ndarray
        4 x 4 voxel-to-world (RAS, mm) affine of the image.
    min_y, intercept, slope : float
        Plane parameters in mm (defaults: :data:`FACE_PLANE`).

    Returns
    -------
    numpy.ndarray
        Boolean array of shape ``anatomy_shape[:3]``; True = face voxel.
    """
    affine = np.asarray(affine, dtype=float)
    if affine.shape != (4, 4):
        raise ValueError(f"affine must be 4 x 4, got shape {affine.shape}")
    if len(anatomy_shape) < 3:
        raise ValueError(f"anatomy_shape needs 3 spatial axes, got {anatomy_shape}")
    ijk = np.indices(tuple(anatomy_shape[:3]), dtype=float).reshape(3, -1)
    world = affine[:3, :3] @ ijk + affine[:3, 3:4]
    y, z = world[1], world[2]
    return ((y >= min_y) & (z < intercept + slope * y)).reshape(tuple(anatomy_shape[:3]))
