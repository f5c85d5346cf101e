"""Time HD95/ASSD on a 1-mm brain-sized 3-D mask pair, and compare with SimpleITK.

Usage::

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_metrics.py [--repeat 3] [--threads 1]

Two cases on the ICBM152 1-mm grid, 197 x 233 x 189 voxels:

* ``brain``: two brain-sized ellipsoids (~1.2 L) with smooth random boundary
  perturbations, the second one shifted -- the union bounding box covers most
  of the grid, so cropping helps little;
* ``lesions``: a dozen small lesion-like blobs per mask (a few mL) -- the case
  of chapters 02 and 12, where cropping to the union bounding box pays.

For each case it prints the wall time (best of ``--repeat``) of
``surface_distance_metrics`` (HD, HD95 and ASSD from one computation) with and
without the crop, and of SimpleITK's ``HausdorffDistanceImageFilter`` (which
gives the maximum and the *average* Hausdorff distance, not HD95, between the
full voxel sets) on the masks and on their surface voxels. The HD values are
printed side by side as a check (they agree when computed on the surfaces).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import numpy as np
import scipy
from scipy import ndimage

from course_lib.metrics import assd, hd95, surface_distance_metrics
from course_lib.metrics.surface import surface_distances, surface_voxels

SHAPE = (197, 233, 189)
SPACING = (1.0, 1.0, 1.0)


def _perturbed_ellipsoid(shape, centre, radii, rng, roughness):
    grids = np.ogrid[tuple(slice(0, s) for s in shape)]
    r = sum(((g - c) / a) ** 2 for g, c, a in zip(grids, centre, radii))
    noise = ndimage.gaussian_filter(rng.standard_normal(shape).astype(np.float32), 6)
    noise *= roughness / noise.std()
    return np.sqrt(r) + noise < 1.0


def brain_pair(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two brain-sized (~1.2 L) perturbed ellipsoids, the second shifted by 3 voxels."""
    rng = np.random.default_rng(seed)
    centre = tuple(s / 2 for s in SHAPE)
    radii = (68.0, 80.0, 55.0)
    a = _perturbed_ellipsoid(SHAPE, centre, radii, rng, 0.03)
    b = _perturbed_ellipsoid(SHAPE, tuple(c + 3 for c in centre), radii, rng, 0.03)
    return a, b


def lesion_pair(seed: int = 0, n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Small blobs (radius 2-6 voxels) in the central region; pred misses/moves some."""
    rng = np.random.default_rng(seed)
    truth = np.zeros(SHAPE, bool)
    pred = np.zeros(SHAPE, bool)
    grids = np.ogrid[tuple(slice(0, s) for s in SHAPE)]
    for i in range(n):
        centre = rng.uniform(0.35, 0.65, 3) * SHAPE
        radius = rng.uniform(2, 6)
        truth |= sum((g - c) ** 2 for g, c in zip(grids, centre)) < radius**2
        if i % 4 != 0:  # every fourth lesion is missed
            moved = centre + rng.normal(0, 1.5, 3)
            pred |= sum((g - c) ** 2 for g, c in zip(grids, moved)) < (radius * 1.1) ** 2
    return pred, truth


def best_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="SimpleITK threads")
    args = parser.parse_args()
    try:
        import SimpleITK as sitk
    except ImportError:  # SimpleITK is a test/benchmark-only dependency
        sitk = None
    else:
        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(args.threads)

    print(
        f"grid {SHAPE} at {SPACING} mm, best of {args.repeat}; {os.cpu_count()} CPUs, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, SimpleITK threads "
        f"{args.threads if sitk else 'n/a'}"
    )
    print(
        f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}"
        f", SimpleITK {sitk.Version_VersionString() if sitk else 'n/a'}"
    )
    for name, make in (("brain", brain_pair), ("lesions", lesion_pair)):
        a, b = make()
        print(f"\n[{name}] volumes {a.sum() / 1000:.1f} mL and {b.sum() / 1000:.1f} mL")
        t_crop, m = best_time(lambda: surface_distance_metrics(a, b, SPACING), args.repeat)
        t_full, m_full = best_time(lambda: _no_crop_metrics(a, b), args.repeat)
        assert m == m_full, (m, m_full)
        print(
            f"  course_lib HD/HD95/ASSD, cropped : {t_crop:7.3f} s  "
            f"HD {m['hausdorff']:.3f} mm, HD95 {m['hd95']:.3f} mm, ASSD {m['assd']:.3f} mm"
        )
        print(f"  course_lib HD/HD95/ASSD, no crop : {t_full:7.3f} s  (same values)")
        t_hd95, _ = best_time(lambda: hd95(a, b, SPACING), args.repeat)
        t_assd, _ = best_time(lambda: assd(a, b, SPACING), args.repeat)
        print(f"  course_lib hd95() alone          : {t_hd95:7.3f} s")
        print(f"  course_lib assd() alone          : {t_assd:7.3f} s")
        if sitk is None:
            print("  SimpleITK not installed: reference timings skipped")
            continue
        ia, ib = (sitk.GetImageFromArray(x.astype(np.uint8)) for x in (a, b))
        sa, sb = (sitk.GetImageFromArray(surface_voxels(x).astype(np.uint8)) for x in (a, b))
        hd = sitk.HausdorffDistanceImageFilter()
        t_masks, _ = best_time(lambda: hd.Execute(ia, ib), args.repeat)
        hd_masks = hd.GetHausdorffDistance()
        t_surf, _ = best_time(lambda: hd.Execute(sa, sb), args.repeat)
        print(f"  SimpleITK Hausdorff, full masks  : {t_masks:7.3f} s  HD {hd_masks:.3f} mm")
        print(
            f"  SimpleITK Hausdorff, surfaces    : {t_surf:7.3f} s  HD "
            f"{hd.GetHausdorffDistance():.3f} mm (surface extraction not timed)"
        )


def _no_crop_metrics(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    d = surface_distances(a, b, SPACING, crop=False)
    return {"hausdorff": d.hausdorff(100.0), "hd95": d.hausdorff(95.0), "assd": d.assd()}


if __name__ == "__main__":
    main()
