"""ComBat: empirical-Bayes removal of site (batch) effects from extracted features.

ComBat harmonises a **feature table** - one row per subject, one column per feature such
as a regional volume or mean intensity (see :func:`~course_lib.harmonization.features.feature_table`)
- not images. Its model for feature ``g`` of subject ``j`` scanned at site ``i`` is

    y_ijg = alpha_g + x_ij' beta_g + gamma_ig + delta_ig * eps_ijg,   eps ~ N(0, sigma_g^2)

with ``x`` the biological covariates to keep (age, sex, diagnosis...), ``gamma`` an
additive and ``delta`` a multiplicative site effect. Steps (Johnson et al. 2007):

1. fit ``alpha, beta`` and the site intercepts by least squares (design: one indicator
   column per site, then the covariates); ``alpha_g`` is the site intercepts' average
   weighted by site size and ``sigma_g^2`` the residual variance (divided by ``n``);
2. standardise: ``z = (y - alpha - x' beta) / sigma``;
3. per site, estimate ``gamma_hat`` (mean of ``z``) and ``delta_hat^2`` (variance,
   ``n_i - 1``);
4. empirical Bayes: the site's ``gamma_ig`` over features share a normal prior and the
   ``delta_ig^2`` an inverse-gamma prior whose hyper-parameters are fitted by the method
   of moments; the posterior means ``gamma*``, ``delta*^2`` are found by fixed-point
   iteration (``parametric=True``) or by weighting the other features' estimates by
   their likelihood (``parametric=False``). Features borrow strength from each other,
   which stabilises small sites;
5. adjust: ``y* = sigma (z - gamma*) / delta* + alpha + x' beta``.

Fortin et al. (2017, 2018) brought ComBat to neuroimaging features (cortical thickness,
diffusion measures). Covariates must not be collinear with site (a site scanning only
patients makes disease and site inseparable).

References
----------
.. [1] W. E. Johnson, C. Li, A. Rabinovic, "Adjusting batch effects in microarray
   expression data using empirical Bayes methods", Biostatistics 8(1):118-127, 2007.
   doi:10.1093/biostatistics/kxj037
.. [2] J.-P. Fortin et al., "Harmonization of multi-site diffusion tensor imaging data",
   NeuroImage 161:149-170, 2017. doi:10.1016/j.neuroimage.2017.08.047
.. [3] J.-P. Fortin et al., "Harmonization of cortical thickness measurements across
   scanners and sites", NeuroImage 167:104-120, 2018.
   doi:10.1016/j.neuroimage.2017.11.024
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CombatModel", "combat_fit", "combat"]


@dataclass
class CombatModel:
    """Site-effect estimates of a ComBat fit; :meth:`transform` applies them.

    Shapes: ``K`` sites, ``G`` features, ``P`` covariates. All quantities after
    standardisation are in units of ``sqrt(var_pooled)``.

    Attributes
    ----------
    batches : ndarray (K,)
        Site labels, in the order of the rows below.
    grand_mean, var_pooled : ndarray (G,)
        ``alpha_g`` and ``sigma_g^2`` (feature units and squared units).
    beta : ndarray (P, G)
        Covariate coefficients (kept in the output).
    gamma_hat, delta_hat : ndarray (K, G)
        Per-site location and scale (variance) estimates before shrinkage.
    gamma_star, delta_star : ndarray (K, G)
        After empirical Bayes (equal to the hats when ``eb=False``).
    """

    batches: np.ndarray
    grand_mean: np.ndarray
    var_pooled: np.ndarray
    beta: np.ndarray
    gamma_hat: np.ndarray
    delta_hat: np.ndarray
    gamma_star: np.ndarray
    delta_star: np.ndarray

    def _index(self, batch: Any, n: int) -> np.ndarray:
        b = np.asarray(batch)
        if b.shape != (n,):
            raise ValueError(f"batch must have shape ({n},) (one site per subject), got {b.shape}")
        lookup = {label: k for k, label in enumerate(self.batches.tolist())}
        unknown = sorted({str(v) for v in b.tolist() if v not in lookup})
        if unknown:
            raise ValueError(
                f"batch contains sites not seen in the fit: {unknown}; known sites are "
                f"{self.batches.tolist()}"
            )
        return np.array([lookup[v] for v in b.tolist()], dtype=np.int64)

    def transform(self, features: Any, batch: Any, covariates: Any = None) -> np.ndarray:
        """Harmonise ``features`` (n, G) of subjects from fitted sites.

        Returns
        -------
        ndarray (n, G), float64
            Site effects removed, covariate effects and feature units kept.
        """
        y = _as_features(features)
        n = y.shape[0]
        if y.shape[1] != self.grand_mean.size:
            raise ValueError(
                f"features have {y.shape[1]} columns, the fit had {self.grand_mean.size}"
            )
        idx = self._index(batch, n)
        cov = _as_covariates(covariates, n)
        if cov.shape[1] != self.beta.shape[0]:
            raise ValueError(
                f"covariates have {cov.shape[1]} columns, the fit had {self.beta.shape[0]}"
            )
        stand_mean = self.grand_mean + cov @ self.beta
        sd = np.sqrt(self.var_pooled)
        z = (y - stand_mean) / sd
        z = (z - self.gamma_star[idx]) / np.sqrt(self.delta_star[idx])
        return z * sd + stand_mean


def _as_features(features: Any) -> np.ndarray:
    y = np.asarray(features, dtype=np.float64)
    if y.ndim != 2:
        raise ValueError(f"features must be (n_subjects, n_features), got shape {y.shape}")
    bad = np.where(~np.all(np.isfinite(y), axis=0))[0]
    if bad.size:
        raise ValueError(
            f"features have NaN/inf in columns {bad.tolist()} (e.g. a region absent from a "
            "subject); drop or impute those columns before ComBat"
        )
    return y


def _as_covariates(covariates: Any, n: int) -> np.ndarray:
    if covariates is None:
        return np.zeros((n, 0))
    c = np.asarray(covariates, dtype=np.float64)
    c = c[:, None] if c.ndim == 1 else c
    if c.ndim != 2 or c.shape[0] != n:
        raise ValueError(
            f"covariates must be (n_subjects,) or (n_subjects, P) with n={n}, got {c.shape}"
        )
    if not np.all(np.isfinite(c)):
        raise ValueError("covariates contain NaN/inf")
    return c


def _postmean(g_hat, g_bar, n, d_star, t2):
    return (t2 * n * g_hat + d_star * g_bar) / (t2 * n + d_star)


def _postvar(sum2, n, a, b):
    return (0.5 * sum2 + b) / (n / 2.0 + a - 1.0)


def _parametric(z, g_hat, d_hat, g_bar, t2, a, b, tol, max_iter):
    """Fixed-point iteration for one site's posterior means (Johnson et al. 2007, eq. 3.2)."""
    n = z.shape[0]
    g_old, d_old = g_hat.copy(), d_hat.copy()
    for _ in range(max_iter):
        g_new = _postmean(g_hat, g_bar, n, d_old, t2)
        d_new = _postvar(((z - g_new) ** 2).sum(axis=0), n, a, b)
        change = max(
            np.max(np.abs(g_new - g_old) / np.maximum(np.abs(g_old), 1e-12)),
            np.max(np.abs(d_new - d_old) / d_old),
        )
        g_old, d_old = g_new, d_new
        if change < tol:
            break
    return g_old, d_old


def _nonparametric(z, g_hat, d_hat):
    """Posterior means by likelihood-weighting the other features' estimates (log space)."""
    n, n_feat = z.shape
    s1, s2 = z.sum(axis=0), (z**2).sum(axis=0)
    # sum_j (z_jg - gamma_hat_h)^2 for every feature g (rows) and candidate h (columns)
    sq = s2[:, None] - 2.0 * s1[:, None] * g_hat[None, :] + n * g_hat[None, :] ** 2
    loglik = -0.5 * n * np.log(2 * np.pi * d_hat)[None, :] - sq / (2.0 * d_hat[None, :])
    loglik[np.arange(n_feat), np.arange(n_feat)] = -np.inf  # leave feature g out
    w = np.exp(loglik - loglik.max(axis=1, keepdims=True))
    w /= w.sum(axis=1, keepdims=True)
    return w @ g_hat, w @ d_hat


def combat_fit(
    features: Any,
    batch: Any,
    covariates: Any = None,
    parametric: bool = True,
    eb: bool = True,
    tol: float = 1e-4,
    max_iter: int = 1000,
) -> CombatModel:
    """Estimate ComBat's site effects (see the module docstring for the model).

    Parameters
    ----------
    features : array-like (n_subjects, n_features)
        Extracted features (regional volumes, mean intensities...), finite.
    batch : array-like (n_subjects,)
        Site/scanner label of each subject; every site needs >= 2 subjects.
    covariates : array-like (n_subjects,) or (n_subjects, P), optional
        Numeric biological covariates whose effects must be kept (encode a categorical
        covariate as 0/1 columns, dropping one level).
    parametric : bool
        Parametric priors (fixed-point iteration) or the non-parametric version.
    eb : bool
        Empirical-Bayes shrinkage; ``False`` uses each site's own mean and variance
        (a plain location/scale adjustment per feature).
    tol, max_iter
        Convergence of the parametric iteration (relative change).

    Returns
    -------
    CombatModel

    References
    ----------
    .. [1] W. E. Johnson, C. Li, A. Rabinovic, Biostatistics 8(1):118-127, 2007.
       doi:10.1093/biostatistics/kxj037
    """
    y = _as_features(features)
    n, n_feat = y.shape
    b = np.asarray(batch)
    if b.shape != (n,):
        raise ValueError(f"batch must have shape ({n},) (one site per subject), got {b.shape}")
    batches, idx, counts = np.unique(b, return_inverse=True, return_counts=True)
    if batches.size < 2:
        raise ValueError("ComBat needs at least 2 sites in batch")
    if counts.min() < 2:
        raise ValueError(
            f"site {batches[np.argmin(counts)]!r} has {counts.min()} subject; every site needs "
            ">= 2 (merge small sites or drop them)"
        )
    if eb and n_feat < 2:
        raise ValueError("empirical Bayes needs >= 2 features to pool; use eb=False")
    cov = _as_covariates(covariates, n)
    design = np.concatenate([np.eye(batches.size)[idx], cov], axis=1)
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise ValueError(
            "covariates are collinear with the sites (or with each other): their effect "
            "cannot be separated from the site effect; drop or recode them"
        )
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    k = batches.size
    grand_mean = (counts / n) @ coef[:k]
    beta = coef[k:]
    var_pooled = ((y - design @ coef) ** 2).mean(axis=0)
    if np.any(var_pooled <= 0):
        raise ValueError(
            f"features {np.where(var_pooled <= 0)[0].tolist()} have no residual variance; drop them"
        )
    stand_mean = grand_mean + cov @ beta
    z = (y - stand_mean) / np.sqrt(var_pooled)

    gamma_hat = np.stack([z[idx == i].mean(axis=0) for i in range(k)])
    delta_hat = np.stack([z[idx == i].var(axis=0, ddof=1) for i in range(k)])
    if np.any(delta_hat <= 0):
        raise ValueError("a feature is constant within a site; ComBat's scale is undefined")
    gamma_star, delta_star = gamma_hat.copy(), delta_hat.copy()
    if eb:
        for i in range(k):
            zi = z[idx == i]
            if parametric:
                g_bar = gamma_hat[i].mean()
                t2 = gamma_hat[i].var(ddof=1)
                m, s2 = delta_hat[i].mean(), delta_hat[i].var(ddof=1)
                a = (2.0 * s2 + m**2) / s2
                bb = (m * s2 + m**3) / s2
                gamma_star[i], delta_star[i] = _parametric(
                    zi, gamma_hat[i], delta_hat[i], g_bar, t2, a, bb, tol, max_iter
                )
            else:
                gamma_star[i], delta_star[i] = _nonparametric(zi, gamma_hat[i], delta_hat[i])
    return CombatModel(
        batches, grand_mean, var_pooled, beta, gamma_hat, delta_hat, gamma_star, delta_star
    )


def combat(
    features: Any,
    batch: Any,
    covariates: Any = None,
    parametric: bool = True,
    eb: bool = True,
) -> np.ndarray:
    """Harmonise a feature table across sites with ComBat (Johnson et al. 2007).

    ComBat works on **features** extracted from images (e.g. regional volumes or mean
    intensities from :func:`~course_lib.harmonization.features.feature_table`), not on
    the images themselves.

    Parameters
    ----------
    features : array-like (n_subjects, n_features)
    batch : array-like (n_subjects,)
        Site label per subject (>= 2 subjects per site).
    covariates : array-like (n_subjects,) or (n_subjects, P), optional
        Biological covariates to preserve.
    parametric, eb : bool
        See :func:`combat_fit`.

    Returns
    -------
    ndarray (n_subjects, n_features), float64
        Harmonised features, in the input's units.

    References
    ----------
    .. [1] W. E. Johnson, C. Li, A. Rabinovic, "Adjusting batch effects in microarray
       expression data using empirical Bayes methods", Biostatistics 8(1):118-127, 2007.
       doi:10.1093/biostatistics/kxj037
    .. [2] J.-P. Fortin et al., NeuroImage 167:104-120, 2018.
       doi:10.1016/j.neuroimage.2017.11.024
    """
    model = combat_fit(features, batch, covariates, parametric=parametric, eb=eb)
    return model.transform(features, batch, covariates)
