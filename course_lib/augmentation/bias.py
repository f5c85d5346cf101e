"""Smooth multiplicative intensity inhomogeneity (MR bias field): ``BiasField``.

MR images carry a slowly varying gain from the receive coil (the "bias field", what N4
corrects; Tustison et al. 2010). The augmentation multiplies every channel by a positive
field ``b(x) = exp(sum_k c_k P_k(x))`` where ``P_k`` are the monomials ``x_0^a x_1^b
[x_2^c]`` of total degree ``<= order`` in coordinates scaled to ``[-1, 1]`` along each
axis (first voxel centre ``-1``, last ``+1``), as in TorchIO's RandomBiasField. The
exponential keeps the field positive; zero coefficients give ``b = 1``.

Monomial order (what ``coefficients[k]`` multiplies): total degree ascending, then the
exponent tuple in reverse lexicographic order, e.g. 2-D order 1: ``1, x0, x1``; order 2:
``1, x0, x1, x0^2, x0 x1, x1^2``. :func:`bias_field_terms` lists them.

References
----------
.. [1] N. J. Tustison et al., "N4ITK: improved N3 bias correction", IEEE Transactions on
   Medical Imaging 29(6):1310-1320, 2010. doi:10.1109/TMI.2010.2046908
.. [2] F. Pérez-García, R. Sparks, S. Ourselin, "TorchIO", Computer Methods and Programs
   in Biomedicine 208:106236, 2021. doi:10.1016/j.cmpb.2021.106236
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from .base import RandomTransform, Transform, uniform_range
from .sample import Sample

__all__ = ["BiasField", "RandomBiasField", "bias_field_terms", "bias_field"]


def bias_field_terms(ndim: int, order: int) -> list[tuple[int, ...]]:
    """Exponent tuples of the monomials, in the order the coefficients use."""
    if ndim not in (2, 3) or order < 0:
        raise ValueError(f"need ndim in (2, 3) and order >= 0, got {ndim}, {order}")
    terms = []
    for degree in range(order + 1):
        same = [e for e in itertools.product(range(degree + 1), repeat=ndim) if sum(e) == degree]
        terms.extend(sorted(same, reverse=True))
    return terms


def bias_field(
    coefficients: Sequence[float],
    shape: Sequence[int],
    order: int,
    device: torch.device | str = "cpu",
) -> torch.Tensor:
    """The positive field ``exp(sum_k c_k P_k(x))``, shape ``shape``, float64."""
    ndim = len(shape)
    terms = bias_field_terms(ndim, order)
    coef = np.asarray(coefficients, dtype=np.float64).ravel()
    if coef.size != len(terms):
        raise ValueError(
            f"a {ndim}-D bias field of order {order} needs {len(terms)} coefficients, got "
            f"{coef.size}; see bias_field_terms({ndim}, {order})"
        )
    axes = [
        torch.linspace(-1.0, 1.0, n, dtype=torch.float64, device=device)
        if n > 1 else torch.zeros(1, dtype=torch.float64, device=device)
        for n in shape
    ]
    grids = torch.meshgrid(*axes, indexing="ij")
    log_field = torch.zeros(tuple(shape), dtype=torch.float64, device=device)
    for c, exps in zip(coef, terms):
        if c == 0.0:
            continue
        term = torch.ones_like(log_field)
        for g, e in zip(grids, exps):
            if e:
                term = term * g**e
        log_field = log_field + float(c) * term
    return torch.exp(log_field)


class BiasField(Transform):
    """Multiply the image by a smooth positive polynomial field (label unchanged).

    Parameters
    ----------
    coefficients : sequence of float
        One coefficient per monomial (see the module docstring); the length must match
        ``bias_field_terms(ndim, order)`` for the sample's dimension.
    order : int
        Maximum total degree of the polynomial.
    """

    def __init__(self, coefficients: Sequence[float], order: int = 3) -> None:
        self.coefficients = tuple(float(c) for c in np.asarray(coefficients).ravel())
        if int(order) != order or order < 0:
            raise ValueError(f"order must be a non-negative integer, got {order!r}")
        self.order = int(order)

    def params(self) -> dict[str, Any]:
        return {"coefficients": self.coefficients, "order": self.order}

    def field(self, shape: Sequence[int], device: torch.device | str = "cpu") -> torch.Tensor:
        """The multiplicative field for a spatial ``shape``, float64."""
        return bias_field(self.coefficients, shape, self.order, device)

    def apply(self, sample: Sample) -> Sample:
        image = sample["image"]
        field = self.field(tuple(image.shape[1:]), image.device)
        out = dict(sample)
        out["image"] = (image.to(torch.float64) * field).to(image.dtype)
        return out


class RandomBiasField(RandomTransform):
    """Sample :class:`BiasField` coefficients uniformly (TorchIO's default: +-0.5, order 3).

    Parameters
    ----------
    coefficients : float or (low, high)
        Range of every coefficient; ``x`` means ``(-x, x)``.
    order : int
        Polynomial order.
    p, seed
        See :class:`~course_lib.augmentation.base.RandomTransform`.
    """

    def __init__(
        self,
        coefficients: float | tuple[float, float] = 0.5,
        order: int = 3,
        p: float = 1.0,
        seed: int | None = None,
    ) -> None:
        super().__init__(p=p, seed=seed)
        self.coefficients = uniform_range(coefficients, "coefficients")
        self.order = int(order)

    def _sample(self, sample: Sample, rng: np.random.Generator) -> BiasField:
        ndim = sample["image"].ndim - 1
        n = len(bias_field_terms(ndim, self.order))
        coef = rng.uniform(*self.coefficients, size=n)
        return BiasField(tuple(float(c) for c in coef), order=self.order)
