"""ComBat (feature harmonization) and feature_table."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from course_lib.harmonization import combat, combat_fit, feature_table

REFERENCE = Path(__file__).parent / "data" / "neurocombat_reference.json"


def direct_combat(y, batch, cov=None, parametric=True, eb=True, tol=1e-12):
    """ComBat written out feature by feature and site by site (Johnson et al. 2007)."""
    n, n_feat = y.shape
    sites = sorted(set(batch.tolist()))
    x_site = np.array([[1.0 if b == s else 0.0 for s in sites] for b in batch])
    design = x_site if cov is None else np.column_stack([x_site, cov])
    out = np.empty_like(y)
    z = np.empty_like(y)
    alpha, sigma, covpart = np.empty(n_feat), np.empty(n_feat), np.zeros((n, n_feat))
    for g in range(n_feat):
        coef = np.linalg.solve(design.T @ design, design.T @ y[:, g])
        alpha[g] = sum(coef[i] * np.sum(batch == s) / n for i, s in enumerate(sites))
        if cov is not None:
            covpart[:, g] = design[:, len(sites) :] @ coef[len(sites) :]
        sigma[g] = math.sqrt(np.sum((y[:, g] - design @ coef) ** 2) / n)
        z[:, g] = (y[:, g] - alpha[g] - covpart[:, g]) / sigma[g]
    for s in sites:
        rows = batch == s
        ns = rows.sum()
        g_hat = np.array([z[rows, g].mean() for g in range(n_feat)])
        d_hat = np.array([z[rows, g].var(ddof=1) for g in range(n_feat)])
        g_star, d_star = g_hat.copy(), d_hat.copy()
        if eb and parametric:
            g_bar, t2 = g_hat.mean(), g_hat.var(ddof=1)
            m, v = d_hat.mean(), d_hat.var(ddof=1)
            lam, theta = (m**2 + 2 * v) / v, (m**3 + m * v) / v
            for g in range(n_feat):
                gs, ds = g_hat[g], d_hat[g]
                for _ in range(10_000):
                    gs_new = (ns * t2 * g_hat[g] + ds * g_bar) / (ns * t2 + ds)
                    ds_new = (theta + 0.5 * np.sum((z[rows, g] - gs_new) ** 2)) / (ns / 2 + lam - 1)
                    done = abs(gs_new - gs) <= tol * abs(gs) and abs(ds_new - ds) <= tol * ds
                    gs, ds = gs_new, ds_new
                    if done:
                        break
                g_star[g], d_star[g] = gs, ds
        elif eb:
            for g in range(n_feat):
                others = [h for h in range(n_feat) if h != g]
                lik = np.array(
                    [
                        np.prod(
                            np.exp(-((z[rows, g] - g_hat[h]) ** 2) / (2 * d_hat[h]))
                            / np.sqrt(2 * np.pi * d_hat[h])
                        )
                        for h in others
                    ]
                )
                g_star[g] = np.sum(lik * g_hat[others]) / lik.sum()
                d_star[g] = np.sum(lik * d_hat[others]) / lik.sum()
        for g in range(n_feat):
            out[rows, g] = (
                sigma[g] * (z[rows, g] - g_star[g]) / math.sqrt(d_star[g])
                + alpha[g]
                + covpart[rows, g]
            )
    return out


def tiny():
    data = json.loads(REFERENCE.read_text())
    return (np.array(data["features"]), np.array(data["batch"]), np.array(data["age"]), data)


@pytest.mark.parametrize("parametric,eb", [(True, True), (False, True), (True, False)])
@pytest.mark.parametrize("with_age", [False, True])
def test_combat_matches_direct_computation(parametric, eb, with_age):
    y, batch, age, _ = tiny()
    cov = age if with_age else None
    model = combat_fit(y, batch, cov, parametric=parametric, eb=eb, tol=1e-12)
    ours = model.transform(y, batch, cov)
    ref = direct_combat(y, batch, None if cov is None else age[:, None], parametric, eb)
    np.testing.assert_allclose(ours, ref, rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize(
    "name,kwargs,with_age",
    [
        ("param_age", {"parametric": True}, True),
        ("nonparam_age", {"parametric": False}, True),
        ("param", {"parametric": True}, False),
        ("noeb_age", {"eb": False}, True),
    ],
)
def test_combat_matches_neurocombat_reference(name, kwargs, with_age):
    """Stored outputs of the neuroCombat package (see the JSON's provenance field)."""
    y, batch, age, data = tiny()
    ours = combat(y, batch, age if with_age else None, **kwargs)
    ref = np.array(data["outputs"][name])
    # neuroCombat stops its fixed-point iteration on a signed relative change (as the
    # R sva code does); ours uses its absolute value, hence ~1e-5 std differences there.
    tol = 2e-4 if kwargs.get("parametric", True) and kwargs.get("eb", True) else 1e-6
    np.testing.assert_allclose(ours, ref, atol=tol * y.std(axis=0).max(), rtol=0)


def test_combat_against_installed_neurocombat():
    nc = pytest.importorskip("neuroCombat")
    pd = pytest.importorskip("pandas")
    y, batch, age, _ = tiny()
    covars = pd.DataFrame({"batch": batch, "age": age})
    ref = nc.neuroCombat(dat=y.T, covars=covars, batch_col="batch", continuous_cols=["age"])[
        "data"
    ].T
    np.testing.assert_allclose(combat(y, batch, age), ref, atol=2e-4 * y.std(axis=0).max())


def synthetic_sites(seed=0, n_per_site=40, n_feat=12, age_confounded=False):
    """Three sites; site effects of similar size (in SD units) on every feature, as ComBat assumes."""
    rng = np.random.default_rng(seed)
    batch = np.repeat(["A", "B", "C"], n_per_site)
    if age_confounded:  # site B scans older subjects
        age = np.where(
            batch == "B", rng.uniform(50, 80, batch.size), rng.uniform(20, 60, batch.size)
        )
    else:
        age = rng.uniform(20, 80, batch.size)
    slope = rng.uniform(-0.5, 0.5, n_feat)
    sd = rng.uniform(2.0, 6.0, n_feat)
    noise = rng.normal(0, 1.0, (batch.size, n_feat)) * sd
    shift = {"A": 0.0, "B": 2.0, "C": -1.5}  # in units of each feature's SD
    scale = {"A": 1.0, "B": 2.0, "C": 0.6}
    site_shift = np.array([shift[b] for b in batch])[:, None] * sd * rng.uniform(0.8, 1.2, n_feat)
    site_scale = np.array([scale[b] for b in batch])[:, None]
    y = 100.0 + age[:, None] * slope + site_shift + site_scale * noise
    return y, batch, age, slope


def test_combat_removes_injected_site_shift_and_scale():
    y, batch, _, _ = synthetic_sites()

    def site_gaps(values):
        means = np.array([values[batch == s].mean(axis=0) for s in "ABC"])
        sds = np.array([values[batch == s].std(axis=0, ddof=1) for s in "ABC"])
        return np.ptp(means, axis=0) / values.std(axis=0), np.abs(np.log(sds / sds.mean(axis=0)))

    mean_gap, sd_gap = site_gaps(y)
    assert mean_gap.min() > 0.8 and sd_gap.max() > 0.5  # sites differ in location and scale
    # without shrinkage, site means and SDs become identical (ComBat's L/S step)
    exact_mean_gap, exact_sd_gap = site_gaps(combat(y, batch, eb=False))
    assert exact_mean_gap.max() < 1e-9 and exact_sd_gap.max() < 1e-9
    # with empirical Bayes each site's effects are shrunk towards their average over
    # features, so the gaps do not vanish exactly but shrink by an order of magnitude
    out = combat(y, batch)
    eb_mean_gap, eb_sd_gap = site_gaps(out)
    assert eb_mean_gap.mean() < 0.15 * mean_gap.mean() and eb_mean_gap.max() < 0.4
    assert eb_sd_gap.mean() < 0.3 * sd_gap.mean()
    assert abs(out.mean() - y.mean()) < 0.05 * y.std()  # units and range are kept


def test_combat_preserves_a_covariate_effect():
    y, batch, age, slope = synthetic_sites(seed=1, age_confounded=True)

    def fitted_slopes(values):
        design = np.column_stack([np.ones_like(age), age])
        return np.linalg.lstsq(design, values, rcond=None)[0][1]

    with_cov = fitted_slopes(combat(y, batch, covariates=age))
    without = fitted_slopes(combat(y, batch))
    err_with = np.abs(with_cov - slope).mean()
    err_without = np.abs(without - slope).mean()
    assert err_with < 0.05
    assert err_with < 0.5 * err_without  # ignoring age removes part of its (site-confounded) effect


def test_combat_model_transforms_new_subjects_and_rejects_bad_input():
    y, batch, age, _ = synthetic_sites(seed=2)
    model = combat_fit(y[::2], batch[::2], age[::2])
    np.testing.assert_allclose(
        model.transform(y[::2], batch[::2], age[::2]), combat(y[::2], batch[::2], age[::2])
    )
    held_out = model.transform(y[1::2], batch[1::2], age[1::2])
    assert held_out.shape == y[1::2].shape
    with pytest.raises(ValueError, match="not seen in the fit"):
        model.transform(y[:3], np.array(["A", "B", "Z"]), age[:3])
    with pytest.raises(ValueError, match="has 1 subject"):
        combat(y[:41], batch[:41])
    bad = y.copy()
    bad[0, 3] = np.nan
    with pytest.raises(ValueError, match=r"columns \[3\]"):
        combat(bad, batch)
    site_b = (batch == "B").astype(float)
    with pytest.raises(ValueError, match="collinear"):
        combat(y, batch, covariates=site_b)


def test_feature_table_matches_a_loop():
    rng = np.random.default_rng(0)
    images = [rng.normal(size=(6, 7, 5)), rng.normal(size=(8, 6, 4))]
    labels = [rng.integers(0, 4, (6, 7, 5)), rng.integers(0, 3, (8, 6, 4))]  # label 3 absent in #2
    table, names = feature_table(
        images,
        labels,
        label_names={1: "CSF", 2: "GM", 3: "WM"},
        stats=("mean", "std", "volume"),
        voxel_volume_mm3=[1.0, 8.0],
    )
    assert names[:3] == ["CSF_mean", "CSF_std", "CSF_volume_mm3"] and len(names) == 9
    for i, (img, lab) in enumerate(zip(images, labels)):
        for j, v in enumerate((1, 2, 3)):
            sel = img[lab == v]
            if sel.size:
                assert table[i, 3 * j] == pytest.approx(sel.mean())
                assert table[i, 3 * j + 1] == pytest.approx(sel.std())
            else:
                assert np.isnan(table[i, 3 * j]) and np.isnan(table[i, 3 * j + 1])
            assert table[i, 3 * j + 2] == sel.size * (1.0, 8.0)[i]
    with pytest.raises(TypeError, match="integer dtype"):
        feature_table(images, [lab.astype(float) for lab in labels])
    with pytest.raises(ValueError, match="one label map per image"):
        feature_table(images, labels[:1])


def test_feature_table_feeds_combat():
    """Regional means of a site-scaled cohort: ComBat equalises them across sites."""
    rng = np.random.default_rng(3)
    label = np.repeat(np.arange(1, 4), 200).reshape(20, 30)
    images, batch = [], []
    for site, gain in (("s1", 1.0), ("s2", 1.6)):
        for _ in range(8):
            images.append(gain * (label * 50.0 + rng.normal(0, 10, label.shape)) + rng.normal(0, 2))
            batch.append(site)
    table, names = feature_table(images, [label] * len(images), stats=("mean",))
    batch = np.array(batch)
    out = combat(table, batch)
    gap_before = np.abs(table[batch == "s1"].mean(0) - table[batch == "s2"].mean(0))
    gap_after = np.abs(out[batch == "s1"].mean(0) - out[batch == "s2"].mean(0))
    assert names == ["label1_mean", "label2_mean", "label3_mean"]
    assert np.all(gap_after < 0.05 * gap_before)


def test_transform_of_no_subjects_is_empty():
    rng = np.random.default_rng(0)
    y = rng.normal(size=(8, 3)) + np.repeat([[0.0], [2.0]], 4, axis=0)
    model = combat_fit(y, np.repeat(["a", "b"], 4))
    assert model.transform(np.empty((0, 3)), np.empty(0, dtype=str)).shape == (0, 3)
