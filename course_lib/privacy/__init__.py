"""Privacy for medical imaging (chapter 11): de-identification, DP-SGD, membership inference.

* DICOM de-identification with the Basic Application Level Confidentiality Profile
  of DICOM PS3.15 (2026d, Table E.1-1): :func:`deidentify`, :func:`deidentify_file`,
  :func:`deidentify_tree`, :class:`UidMapper`; a naive counter-example and an audit
  (:func:`naive_deidentify`, :func:`remaining_phi`).
* NIfTI headers and faces: :func:`nifti_header_report`, :func:`scrub_nifti_header`,
  :func:`face_mask`.
* Differential privacy: DP-SGD (:class:`DPSGD`, :func:`private_gradient`) and its
  RDP accountant (:func:`compute_epsilon`, :func:`noise_for_epsilon`).
* Membership inference: :func:`membership_advantage`, :func:`per_sample_losses`.
"""
from course_lib.privacy.basic_profile import (
    ACTION_MEANINGS, TABLE_EDITION, ProfileRule, basic_profile_rules, rule_for_tag,
)
from course_lib.privacy.deid_report import AppliedAction, DeidentificationReport
from course_lib.privacy.dicom_deid import DEIDENTIFICATION_METHOD, deidentify
from course_lib.privacy.dicom_files import (
    FileOutcome, TreeResult, deidentify_file, deidentify_tree, write_atomically,
)
from course_lib.privacy.dp_sgd import (
    DPSGD, clip_per_sample, per_sample_gradients, poisson_sample, private_gradient,
)
from course_lib.privacy.membership_inference import membership_advantage, per_sample_losses
from course_lib.privacy.nifti_privacy import (
    FACE_PLANE, face_mask, nifti_header_report, scrub_nifti_header,
)
from course_lib.privacy.phi_audit import LeftoverPHI, naive_deidentify, remaining_phi
from course_lib.privacy.rdp_accountant import (
    DEFAULT_ORDERS, compute_epsilon, compute_rdp, epsilon_from_rdp, noise_for_epsilon,
)
from course_lib.privacy.uid_mapper import UidMapper

__all__ = [
    # DICOM de-identification
    "ACTION_MEANINGS", "TABLE_EDITION", "ProfileRule", "basic_profile_rules", "rule_for_tag",
    "AppliedAction", "DeidentificationReport", "DEIDENTIFICATION_METHOD", "deidentify",
    "FileOutcome", "TreeResult", "deidentify_file", "deidentify_tree", "write_atomically",
    "UidMapper", "LeftoverPHI", "naive_deidentify", "remaining_phi",
    # NIfTI
    "FACE_PLANE", "face_mask", "nifti_header_report", "scrub_nifti_header",
    # differential privacy
    "DPSGD", "clip_per_sample", "per_sample_gradients", "poisson_sample", "private_gradient",
    "DEFAULT_ORDERS", "compute_epsilon", "compute_rdp", "epsilon_from_rdp", "noise_for_epsilon",
    # membership inference
    "membership_advantage", "per_sample_losses",
]
