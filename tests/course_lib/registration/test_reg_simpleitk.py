"""Registration checked against SimpleITK (ITK), an independent implementation.

Conventions that differ and are converted here, once:

* world coordinates: ours are RAS+ (NIfTI), ITK's are LPS+; ``F = diag(-1, -1, 1)`` maps one
  to the other, so a grid's voxel -> world matrix becomes ``F @ A`` and a world transform
  ``T`` becomes ``F @ T @ F``;
* array order: ours index ``(i, j, k)``; ``sitk.GetImageFromArray`` wants ``(k, j, i)``;
* both use pull-back transforms (fixed/output point -> moving/input point);
* ITK's ``Correlation`` metric is ``-NCC**2`` (the sign of the correlation is lost), ours
  :func:`~course_lib.registration.ncc` is Pearson's ``r``.
"""

import numpy as np
import pytest
import torch
from scipy import ndimage

from course_lib.registration import (
    affine_matrix,
    apply_affine,
    landmark_grid,
    mutual_information,
    ncc,
    register_affine,
    resample,
    target_registration_error,
)

sitk = pytest.importorskip("SimpleITK")

FLIP = np.diag([-1.0, -1.0, 1.0])


def _grid_affine(spacing, origin, angles=(0.0, 0.0, 0.0)):
    """Voxel -> world (RAS) matrix with an oblique direction."""
    a = np.eye(4)
    a[:3, :3] = affine_matrix([0, 0, 0, *angles, 1, 1, 1, 0, 0, 0])[:3, :3] @ np.diag(spacing)
    a[:3, 3] = origin
    return a


def _to_sitk(array: np.ndarray, affine: np.ndarray):
    """NumPy (i, j, k) + RAS voxel -> world matrix -> SimpleITK image (LPS)."""
    image = sitk.GetImageFromArray(np.ascontiguousarray(array.T))
    lin = FLIP @ affine[:3, :3]
    spacing = np.linalg.norm(lin, axis=0)
    image.SetSpacing(spacing.tolist())
    image.SetOrigin((FLIP @ affine[:3, 3]).tolist())
    image.SetDirection((lin / spacing).ravel().tolist())
    return image


def _sitk_affine(transform: np.ndarray):
    """A RAS world matrix (pull-back) as an ITK AffineTransform in LPS."""
    lps = np.eye(4)
    lps[:3, :3] = FLIP @ transform[:3, :3] @ FLIP
    lps[:3, 3] = FLIP @ transform[:3, 3]
    t = sitk.AffineTransform(3)
    t.SetMatrix(lps[:3, :3].ravel().tolist())
    t.SetTranslation(lps[:3, 3].tolist())
    return t


def _ras_matrix(transform) -> np.ndarray:
    """The RAS world matrix of an ITK transform, fitted from 4 points (it is affine)."""
    pts = np.vstack([np.zeros(3), np.eye(3) * 50.0])
    mapped = np.array([FLIP @ transform.TransformPoint((FLIP @ p).tolist()) for p in pts])
    m = np.eye(4)
    m[:3, 3] = mapped[0]
    m[:3, :3] = (mapped[1:] - mapped[0]).T / 50.0
    return m


def _smooth_volume(shape, seed=0):
    rng = np.random.default_rng(seed)
    return ndimage.gaussian_filter(rng.standard_normal(shape), 2.0).astype(np.float64)


def _metric_value(fixed, moving, affine, configure, mask=None) -> float:
    """ITK's metric value at the identity transform, all voxels (no sampling)."""
    reg = sitk.ImageRegistrationMethod()
    configure(reg)
    reg.SetMetricSamplingStrategy(reg.NONE)
    reg.SetInterpolator(sitk.sitkLinear)
    reg.SetInitialTransform(sitk.Transform(3, sitk.sitkIdentity))
    if mask is not None:
        reg.SetMetricFixedMask(_to_sitk(mask.astype(np.uint8), affine))
    return reg.MetricEvaluate(_to_sitk(fixed, affine), _to_sitk(moving, affine))


# ----------------------------------------------------------------------------- resampling
@pytest.mark.parametrize("mode", ["linear", "nearest"])
def test_resample_matches_sitk_resample(mode):
    source = _smooth_volume((20, 24, 18))
    if mode == "nearest":
        source = np.digitize(source, [-0.1, 0.0, 0.1]).astype(np.uint8)  # a label map
    src_aff = _grid_affine([1.5, 2.0, 2.5], [-14.0, 20.0, -9.0], angles=(0.1, -0.2, 0.3))
    tgt_aff = _grid_affine([1.8, 1.8, 2.2], [-12.0, 18.0, -8.0], angles=(-0.05, 0.1, 0.0))
    tgt_shape = (16, 19, 15)
    transform = affine_matrix(
        [2.0, -3.0, 1.5, 0.05, 0.1, -0.08, 1.05, 0.95, 1.02, 0.03, -0.02, 0.01]
    )

    ours = resample(source, src_aff, tgt_aff, tgt_shape, transform=transform)
    reference = sitk.Resample(
        _to_sitk(source, src_aff),
        _to_sitk(np.zeros(tgt_shape), tgt_aff),
        _sitk_affine(transform),
        sitk.sitkLinear if mode == "linear" else sitk.sitkNearestNeighbor,
        0.0,
        sitk.sitkFloat64,
    )
    theirs = sitk.GetArrayFromImage(reference).T

    # compare where the sampled point lies inside the source (edge handling differs:
    # ITK returns the default value outside, grid_sample fades to the zero padding)
    idx = np.indices(tgt_shape).reshape(3, -1).T
    pos = apply_affine(np.linalg.inv(src_aff) @ transform @ tgt_aff, idx)
    inside = np.all((pos >= 0.5) & (pos <= np.array(source.shape) - 1.5), axis=1).reshape(tgt_shape)
    assert inside.sum() > 500  # the test covers a real volume
    if mode == "linear":
        np.testing.assert_allclose(ours[inside], theirs[inside], atol=1e-9)
    else:
        assert ours.dtype == np.uint8
        assert np.mean(ours[inside] == theirs[inside]) > 0.999  # ties at .5 may round apart


# ----------------------------------------------------------------------------- measures
def test_ncc_squared_is_minus_itk_correlation():
    aff = _grid_affine([2.0, 2.0, 2.0], [0.0, 0.0, 0.0])
    fixed = 100.0 * _smooth_volume((16, 18, 14), seed=1)  # variances >> ncc's eps (1e-8)
    moving = 3.0 * fixed + 100.0 * _smooth_volume((16, 18, 14), seed=2) + 5.0
    mask = np.zeros(fixed.shape, dtype=bool)
    mask[3:12, 4:15, 2:10] = True
    for m in (moving, -moving):  # ITK loses the sign of the correlation
        for sel in (None, mask):
            ours = float(
                ncc(
                    torch.from_numpy(fixed if sel is None else fixed[sel]),
                    torch.from_numpy(m if sel is None else m[sel]),
                )
            )
            itk = _metric_value(fixed, m, aff, lambda r: r.SetMetricAsCorrelation(), sel)
            assert ours**2 == pytest.approx(-itk, rel=1e-5)  # ITK computes in float32


def test_mutual_information_matches_a_hard_histogram():
    """With a very narrow Parzen kernel our MI is the MI of the nearest-bin histogram, which
    scikit-learn computes independently from the label contingency table."""
    metrics = pytest.importorskip("sklearn.metrics")
    fixed = _smooth_volume((16, 18, 14), seed=3)
    moving = np.cos(3 * fixed) + 0.1 * _smooth_volume((16, 18, 14), seed=4)  # non-monotonic
    bins = 16

    def nearest_bin(x):
        return np.rint((x - x.min()) / (x.max() - x.min()) * (bins - 1)).astype(int).ravel()

    reference = metrics.mutual_info_score(nearest_bin(fixed), nearest_bin(moving))  # nats
    ours = float(
        mutual_information(torch.from_numpy(fixed), torch.from_numpy(moving), bins=bins, sigma=1e-4)
    )
    assert ours == pytest.approx(reference, rel=1e-6)


def test_mutual_information_agrees_with_itk_mattes_on_the_optimum():
    """Different Parzen kernels give different values, but both measures must be largest
    at the alignment and fall as the moving image is shifted away (same overlap)."""
    aff = _grid_affine([2.0, 2.0, 2.0], [0.0, 0.0, 0.0])
    fixed = _smooth_volume((24, 24, 20), seed=5)
    moving = np.exp(-(fixed**2) * 4.0)  # another "contrast", non-monotonic
    shifts = [0, 1, 2, 4]  # voxels along i: no interpolation
    ours, itk = [], []
    core = (slice(4, 20), slice(None), slice(None))  # the same fixed voxels for every shift
    for s in shifts:
        shifted = np.roll(moving, -s, axis=0)
        ours.append(
            float(
                mutual_information(
                    torch.from_numpy(fixed[core]), torch.from_numpy(shifted[core]), bins=32
                )
            )
        )
        mask = np.zeros(fixed.shape, dtype=bool)
        mask[core] = True
        itk.append(
            -_metric_value(
                fixed, shifted, aff, lambda r: r.SetMetricAsMattesMutualInformation(32), mask
            )
        )
    assert np.all(np.diff(ours) < 0) and np.all(np.diff(itk) < 0), (ours, itk)


# ----------------------------------------------------------------------------- registration
def _blob_pair(transform, shape=(32, 32, 32), spacing=2.0):
    """fixed(x) = g(x), moving(y) = g(T^-1 y), both sampled exactly (no interpolation)."""
    aff = np.eye(4)
    aff[:3, :3] *= spacing
    aff[:3, 3] = -(np.array(shape) - 1) / 2 * spacing
    rng = np.random.default_rng(0)
    extent = (np.array(shape) - 1) / 2 * spacing
    blobs = [
        (
            rng.uniform(-0.5, 0.5, 3) * extent,
            rng.uniform(0.1, 0.25, 3) * extent.mean(),
            rng.uniform(0.5, 1.0),
        )
        for _ in range(8)
    ]

    def g(world):
        return sum(a * np.exp(-0.5 * (((world - c) / s) ** 2).sum(-1)) for c, s, a in blobs)

    world = apply_affine(aff, np.indices(shape).reshape(3, -1).T)
    fixed = g(world).reshape(shape).astype(np.float32)
    moving = g(apply_affine(np.linalg.inv(transform), world)).reshape(shape).astype(np.float32)
    return fixed, moving, aff, landmark_grid(fixed > 0.2 * fixed.max(), aff, 2 * spacing)


def _sitk_register(fixed, moving, aff, metric):
    reg = sitk.ImageRegistrationMethod()
    if metric == "mi":
        reg.SetMetricAsMattesMutualInformation(32)
    else:
        reg.SetMetricAsCorrelation()
    reg.SetMetricSamplingStrategy(reg.NONE)
    reg.SetInterpolator(sitk.sitkLinear)
    if metric == "mi":  # the optimiser that converged for each metric on this pair
        reg.SetOptimizerAsRegularStepGradientDescent(
            learningRate=1.0, minStep=1e-4, numberOfIterations=300, relaxationFactor=0.5
        )
    else:
        reg.SetOptimizerAsGradientDescent(
            learningRate=1.0,
            numberOfIterations=300,
            convergenceMinimumValue=1e-8,
            convergenceWindowSize=10,
        )
    reg.SetOptimizerScalesFromPhysicalShift()
    reg.SetShrinkFactorsPerLevel([2, 1])
    reg.SetSmoothingSigmasPerLevel([1, 0])
    f, m = _to_sitk(fixed, aff), _to_sitk(moving, aff)
    init = sitk.CenteredTransformInitializer(
        f, m, sitk.AffineTransform(3), sitk.CenteredTransformInitializerFilter.MOMENTS
    )
    reg.SetInitialTransform(init, inPlace=False)
    return _ras_matrix(reg.Execute(f, m))


@pytest.mark.parametrize("metric", ["ncc", "mi"])
def test_affine_registration_agrees_with_sitk(metric):
    truth = affine_matrix([3.0, -2.0, 4.0, 0.08, -0.05, 0.1, 1.06, 0.95, 1.03, 0.04, -0.03, 0.02])
    fixed, moving, aff, points = _blob_pair(truth)
    if metric == "mi":  # another "contrast": a non-monotonic intensity map, background kept 0
        moving = np.sin(np.pi * moving / moving.max()).astype(np.float32)
    target = apply_affine(truth, points)
    before = target_registration_error(points, target, np.eye(4)).mean()
    ours = register_affine(
        fixed,
        moving,
        aff,
        aff,
        metric=metric,
        factors=(2, 1),
        iterations=(100, 60),
        progress=False,
        device="cpu",
    ).matrix
    theirs = _sitk_register(fixed, moving, aff, metric)
    tre_ours = target_registration_error(points, target, ours).mean()
    tre_itk = target_registration_error(points, target, theirs).mean()
    between = np.linalg.norm(apply_affine(ours, points) - apply_affine(theirs, points), axis=1)
    assert before > 5.0
    assert tre_ours < 0.3 and tre_itk < 0.3, (tre_ours, tre_itk)  # mm, 2-mm voxels
    assert between.mean() < 0.3, between.mean()
