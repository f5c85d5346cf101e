"""Privacy for medical imaging: de-identification (chapter 11a), DP-SGD and membership
inference (chapter 11b).

* DICOM de-identification with the Basic Application Level Confidentiality Profile
  of DICOM PS3.15 (2026d, Table E.1-1): :func:`deidentify`, :func:`deidentify_file`,
  :func:`deidentify_tree`, :class:`UidMapper`; a naive counter-example and an audit
  (:func:`naive_deidentify`, :func:`remaining_phi`).
* NIfTI headers and faces: :func:`nifti_header_report`, :func:`scrub_nifti_header`,
  :func:`face_mask`.
* Differential privacy: DP-SGD (:class:`DPSGD`, :func:`private_gradient`, with the
  patient as privacy unit through ``groups=``) and its RDP accountant
  (:func:`compute_epsilon`, :func:`noise_for_epsilon`).
* Membership inference: :func:`membership_advantage`, :func:`tpr_at_fpr`; what DP promises
  against it: :func:`dp_tpr_bound`, :func:`dp_advantage_bound`.
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=[
        "basic_profile",
        "deid_report",
        "dicom_deid",
        "dicom_files",
        "dp_sgd",
        "membership_inference",
        "nifti_privacy",
        "phi_audit",
        "rdp_accountant",
        "uid_mapper",
    ],
    names={
        "basic_profile": [
            "ACTION_MEANINGS",
            "TABLE_EDITION",
            "ProfileRule",
            "basic_profile_rules",
            "rule_for_tag",
        ],
        "deid_report": ["AppliedAction", "DeidentificationReport"],
        "dicom_deid": ["DEIDENTIFICATION_METHOD", "deidentify"],
        "dicom_files": [
            "DicomDirError",
            "FileOutcome",
            "TreeResult",
            "deidentify_file",
            "deidentify_tree",
            "is_dicomdir",
            "write_atomically",
        ],
        "dp_sgd": [
            "DPSGD",
            "average_by_group",
            "clip_per_sample",
            "per_sample_gradients",
            "poisson_sample",
            "private_gradient",
        ],
        "membership_inference": [
            "dp_advantage_bound",
            "dp_tpr_bound",
            "membership_advantage",
            "tpr_at_fpr",
        ],
        "nifti_privacy": ["FACE_PLANE", "face_mask", "nifti_header_report", "scrub_nifti_header"],
        "phi_audit": ["LeftoverPHI", "naive_deidentify", "remaining_phi"],
        "rdp_accountant": [
            "DEFAULT_ORDERS",
            "compute_epsilon",
            "compute_rdp",
            "epsilon_from_rdp",
            "noise_for_epsilon",
        ],
        "uid_mapper": ["UidMapper"],
    },
)
