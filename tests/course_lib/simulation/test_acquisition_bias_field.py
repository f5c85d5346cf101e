"""The simulator's bias field: 2-D shapes for data augmentation, 3-D outputs unchanged."""

import numpy as np
import pytest

from course_lib.simulation.acquisition import bias_field


def _former_3d_bias_field(shape, strength, rng, order=3):
    """The 3-D code as it was before bias_field accepted 2-D shapes (kept to pin the outputs)."""
    bases = []
    for n in shape:
        s = (np.arange(n) + 0.5) / n
        bases.append(np.stack([np.cos(np.pi * k * s) for k in range(order)], 1).astype(np.float32))
    damping = 1.0 + np.indices((order,) * 3).sum(0)
    coef = rng.standard_normal((order,) * 3).astype(np.float32) / damping
    coef[0, 0, 0] = 0.0
    b = np.tensordot(bases[0], coef, axes=(1, 0))
    b = np.tensordot(b, bases[1], axes=(1, 1))
    b = np.tensordot(b, bases[2], axes=(1, 1))
    b *= np.float32(strength / (float(b[::3, ::3, ::3].std()) or 1.0))
    return np.exp(b, out=b)


@pytest.mark.parametrize(
    "strength, order, seed", [(0.1, 3, 0), (0.3, 3, 1), (0.2, 2, 2), (0.15, 4, 3)]
)
def test_three_d_fields_are_unchanged(strength, order, seed):
    new = bias_field((20, 23, 17), strength, np.random.default_rng(seed), order=order)
    old = _former_3d_bias_field((20, 23, 17), strength, np.random.default_rng(seed), order=order)
    assert new.dtype == old.dtype and np.array_equal(new, old)


def test_two_d_field_is_smooth_positive_with_the_requested_strength():
    field = bias_field((60, 70), 0.2, np.random.default_rng(0))
    log = np.log(field)
    assert field.shape == (60, 70) and field.min() > 0
    assert abs(log.mean()) < 1e-6  # no constant term: the mean gain is kept
    assert log.std() == pytest.approx(0.2, rel=0.1)
    assert np.abs(np.diff(log, axis=0)).max() < 0.05  # slowly varying
    assert np.array_equal(bias_field((5, 6), 0.0, np.random.default_rng(0)), np.ones((5, 6)))
    with pytest.raises(ValueError, match="2-D or 3-D"):
        bias_field((5,), 0.1, np.random.default_rng(0))
