"""Image registration: the lecture's affine transform, warps, similarity measures, affine
and nonlinear registration by gradient descent (PyTorch autograd), and their evaluation.

Conventions (details in :mod:`course_lib.registration.warp`):

* arrays are indexed ``(i, j[, k])`` like NIfTI; tensors are ``(B, C, H, W[, D])`` with the
  same spatial axis order; an image's ``affine`` maps voxel indices to world mm (RAS);
* every transform is a pull-back map fixed world mm -> moving world mm (as in
  ITK/SimpleITK): ``warped(x) = moving(T(x))``;
* :func:`affine_matrix` composes ``T @ Rx @ Ry @ Rz @ Z @ S`` from the lecture's 12
  parameters (6 in 2-D) and :func:`decompose_affine` inverts it.

Quick start::

    from course_lib.registration import register_affine, register_nonlinear, resample
    aff = register_affine(fixed, moving, fixed_affine, moving_affine, mode="affine")
    warped = resample(moving, moving_affine, fixed_affine, fixed.shape, aff.matrix)
    nl = register_nonlinear(fixed, moving, fixed_affine, moving_affine,
                            affine=aff.matrix, gamma=1.0)
"""
from course_lib.registration.affine import (affine_matrix, affine_matrix_torch, apply_affine,
                                            decompose_affine, identity_params)
from course_lib.registration.affine_registration import (N_FREE_PARAMS,
                                                         AffineRegistrationResult,
                                                         register_affine)
from course_lib.registration.evaluation import landmark_grid, target_registration_error
from course_lib.registration.fields import (bending_energy, diffusion_energy,
                                            folding_fraction, integrate_velocity,
                                            jacobian_determinant)
from course_lib.registration.nonlinear_registration import (NonlinearRegistrationResult,
                                                            register_nonlinear)
from course_lib.registration.pyramid import default_sigmas, gaussian_smooth, image_pyramid
from course_lib.registration.similarity import (local_ncc, mutual_information, ncc, ssd,
                                                similarity_loss)
from course_lib.registration.warp import (resample, voxel_grid, warp_affine,
                                          warp_displacement, warp_voxels)

__all__ = [
    "affine_matrix", "affine_matrix_torch", "decompose_affine", "identity_params",
    "apply_affine", "warp_voxels", "warp_affine", "warp_displacement", "resample",
    "voxel_grid", "ssd", "ncc", "local_ncc", "mutual_information", "similarity_loss",
    "gaussian_smooth", "image_pyramid", "default_sigmas", "register_affine",
    "AffineRegistrationResult", "N_FREE_PARAMS", "integrate_velocity",
    "jacobian_determinant", "folding_fraction", "diffusion_energy", "bending_energy",
    "register_nonlinear", "NonlinearRegistrationResult", "target_registration_error",
    "landmark_grid",
]
