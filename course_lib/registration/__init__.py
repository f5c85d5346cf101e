"""Image registration (chapters 03a and 03b): the lecture's affine transform, warps, similarity measures, affine
and nonlinear registration by gradient descent (PyTorch autograd), and their evaluation.

Conventions (details in :mod:`course_lib.registration.warp`):

* arrays are indexed ``(i, j[, k])`` like NIfTI; tensors are ``(B, C, H, W[, D])`` with the
  same spatial axis order; an image's ``affine`` maps voxel indices to world mm (RAS);
* every transform is a pull-back map fixed world mm -> moving world mm (as in
  ITK/SimpleITK): ``warped(x) = moving(T(x))``;
* :func:`affine_matrix` composes ``T @ Rx @ Ry @ Rz @ Z @ S`` from the lecture's 12
  parameters (6 in 2-D) and :func:`decompose_affine` inverts it; both live in
  :mod:`course_lib.geometry`, the one affine convention of the course (simulation and
  augmentation build their random transforms with it too), and are re-exported here.

Quick start::

    from course_lib.registration import register_affine, register_nonlinear, resample
    aff = register_affine(fixed, moving, fixed_affine, moving_affine, mode="affine")
    warped = resample(moving, moving_affine, fixed_affine, fixed.shape, aff.matrix)
    nl = register_nonlinear(fixed, moving, fixed_affine, moving_affine,
                            affine=aff.matrix, gamma=1.0)
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=[
        "affine_registration",
        "evaluation",
        "explorer",
        "fields",
        "itk_slices",
        "mattes_mi",
        "nonlinear_registration",
        "pyramid",
        "similarity",
        "warp",
    ],
    names={
        "course_lib.geometry": [
            "affine_matrix",
            "apply_affine",
            "decompose_affine",
            "identity_params",
        ],
        "affine_registration": ["register_affine"],
        "evaluation": ["landmark_grid", "target_registration_error"],
        "fields": [
            "folding_fraction",
            "integrate_velocity",
            "jacobian_determinant",
        ],
        "nonlinear_registration": ["register_nonlinear"],
        "similarity": ["local_ncc", "mutual_information", "ncc", "ssd"],
        "warp": ["resample", "warp_displacement"],
    },
)
