"""Privacy accounting for DP-SGD: Renyi DP of the sampled Gaussian mechanism (chapter 11b).

One DP-SGD step samples each example with probability ``q`` (Poisson sampling),
clips per-example gradients to norm ``C`` and adds Gaussian noise of standard
deviation ``sigma * C`` to their sum: a *sampled Gaussian mechanism* (SGM). Its
Renyi differential privacy (RDP) at integer order ``alpha >= 2`` is (Mironov, Talwar
& Zhang 2019, Section 3.3)

    RDP(alpha) = log(A_alpha) / (alpha - 1),
    A_alpha = sum_{k=0}^{alpha} C(alpha, k) (1 - q)^(alpha - k) q^k exp((k^2 - k) / (2 sigma^2)),

RDP adds up over steps (Mironov 2017, Proposition 1), and a total RDP ``r(alpha)``
gives (epsilon, delta)-DP with ``epsilon = min_alpha r(alpha) + log(1/delta)/(alpha - 1)``
(Mironov 2017, Proposition 3). This is the "moments accountant" of Abadi et al.
(2016) in RDP form; we use integer orders only, which keeps the formula exact and
the bound valid (a finer grid of orders can only lower epsilon slightly).

References
----------
Abadi, M. et al. (2016). Deep learning with differential privacy. ACM CCS.
doi:10.1145/2976749.2978318
Mironov, I. (2017). Renyi differential privacy. IEEE CSF. doi:10.1109/CSF.2017.11
Mironov, I., Talwar, K. & Zhang, L. (2019). Renyi differential privacy of the
sampled Gaussian mechanism. arXiv:1908.10530
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from scipy.special import gammaln, logsumexp

__all__ = [
    "DEFAULT_ORDERS",
    "compute_epsilon",
    "compute_rdp",
    "epsilon_from_rdp",
    "noise_for_epsilon",
]

#: Integer Renyi orders searched by default.
DEFAULT_ORDERS: tuple[int, ...] = tuple(range(2, 65)) + (80, 96, 128, 192, 256, 512, 1024)


def _check_q_sigma(q: float, sigma: float) -> None:
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"sampling rate q must lie in [0, 1], got {q}")
    if sigma < 0:
        raise ValueError(f"noise multiplier sigma must be >= 0, got {sigma}")


def _rdp_one_step(q: float, sigma: float, order: int) -> float:
    if q == 0:
        return 0.0
    if sigma == 0:
        return math.inf
    if q == 1.0:
        return order / (2 * sigma**2)
    k = np.arange(order + 1, dtype=float)
    log_binom = gammaln(order + 1) - gammaln(k + 1) - gammaln(order - k + 1)
    log_terms = (
        log_binom + (order - k) * math.log1p(-q) + k * math.log(q) + (k * k - k) / (2 * sigma**2)
    )
    return float(logsumexp(log_terms)) / (order - 1)


def compute_rdp(
    q: float, sigma: float, steps: int, orders: Sequence[int] = DEFAULT_ORDERS
) -> np.ndarray:
    """RDP of ``steps`` compositions of the sampled Gaussian mechanism.

    Parameters
    ----------
    q : float
        Sampling rate (expected batch size / dataset size), in [0, 1].
    sigma : float
        Noise multiplier: noise std / clipping norm.
    steps : int
        Number of DP-SGD steps.
    orders : sequence of int
        Integer Renyi orders >= 2.

    Returns
    -------
    numpy.ndarray
        RDP epsilon at each order (nats), shape ``(len(orders),)``.
    """
    _check_q_sigma(q, sigma)
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    orders = list(orders)
    bad = [a for a in orders if int(a) != a or a < 2]
    if bad:
        raise ValueError(f"orders must be integers >= 2 (exact formula), got {bad}")
    return np.array([steps * _rdp_one_step(q, sigma, int(a)) for a in orders])


def epsilon_from_rdp(
    orders: Sequence[int], rdp: Sequence[float], delta: float
) -> tuple[float, int]:
    """Convert RDP to (epsilon, delta)-DP (Mironov 2017, Proposition 3).

    Returns
    -------
    epsilon : float
        ``min_alpha rdp(alpha) + log(1/delta) / (alpha - 1)``.
    order : int
        The order that attains the minimum.
    """
    if not 0.0 < delta < 1.0:
        raise ValueError(
            f"delta must lie in (0, 1), got {delta}; a common choice is 1/(10 * dataset size)"
        )
    orders, rdp = np.asarray(orders, dtype=float), np.asarray(rdp, dtype=float)
    eps = rdp + math.log(1.0 / delta) / (orders - 1.0)
    best = int(np.nanargmin(eps))
    return float(eps[best]), int(orders[best])


def compute_epsilon(
    q: float, sigma: float, steps: int, delta: float, orders: Sequence[int] = DEFAULT_ORDERS
) -> float:
    """Epsilon spent by DP-SGD after ``steps`` steps.

    Parameters
    ----------
    q : float
        Sampling rate (Poisson sampling, batch size / dataset size).
    sigma : float
        Noise multiplier.
    steps : int
        Number of noisy steps.
    delta : float
        Target delta.
    orders : sequence of int
        Renyi orders to search.

    Returns
    -------
    float
        Epsilon of (epsilon, delta)-DP; ``inf`` when sigma is 0.

    Examples
    --------
    >>> round(compute_epsilon(q=256 / 60000, sigma=1.3, steps=4687, delta=1e-5), 2)
    1.35
    """
    return epsilon_from_rdp(orders, compute_rdp(q, sigma, steps, orders), delta)[0]


def noise_for_epsilon(
    target_eps: float,
    q: float,
    steps: int,
    delta: float,
    *,
    tolerance: float = 1e-3,
    sigma_max: float = 1e4,
) -> float:
    """Smallest noise multiplier whose epsilon is at most ``target_eps`` (bisection).

    Epsilon decreases monotonically as sigma grows, so bisection on sigma finds the
    least noise (the best utility) that meets the privacy budget.

    Parameters
    ----------
    target_eps : float
        Privacy budget epsilon (> 0).
    q, steps, delta
        As in :func:`compute_epsilon`.
    tolerance : float
        Relative width of the final bracket on sigma.
    sigma_max : float
        Give up above this noise multiplier.

    Returns
    -------
    float
        Noise multiplier sigma with ``compute_epsilon(q, sigma, steps, delta) <= target_eps``.
    """
    if target_eps <= 0:
        raise ValueError(f"target_eps must be > 0, got {target_eps}")
    _check_q_sigma(q, 1.0)
    low, high = 0.0, 0.5
    while compute_epsilon(q, high, steps, delta) > target_eps:
        low, high = high, 2.0 * high
        if high > sigma_max:
            raise ValueError(
                f"no noise multiplier <= {sigma_max} reaches epsilon={target_eps} "
                f"with q={q}, steps={steps}, delta={delta}; allow more epsilon, "
                "fewer steps or a smaller sampling rate"
            )
    while high - low > tolerance * high:
        middle = 0.5 * (low + high)
        if compute_epsilon(q, middle, steps, delta) > target_eps:
            low = middle
        else:
            high = middle
    return high
