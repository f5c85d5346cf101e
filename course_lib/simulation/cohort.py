"""Cohorts: N simulated subjects of one center, deterministic and cached on disk."""

from __future__ import annotations

import hashlib
import inspect
import logging

from .anatomy import check_resolution
from .cache import cohort_key, load_cohort, store_cohort
from .centers import get_center
from .subject import Subject, simulate_subject

__all__ = ["make_cohort", "subject_seed", "SUBJECT_OPTIONS"]

logger = logging.getLogger(__name__)

#: Options of :func:`simulate_subject` that ``make_cohort`` forwards, with their defaults.
SUBJECT_OPTIONS: dict = {
    name: p.default
    for name, p in inspect.signature(simulate_subject).parameters.items()
    if name not in ("center", "seed", "resolution")
}


def subject_seed(seed: int, center: str, index: int) -> int:
    """Seed of subject ``index`` of a cohort: SHA-256 of ``"seed/center/index"``, 31 bits.

    Different centers with the same cohort seed get unrelated subjects.
    """
    digest = hashlib.sha256(f"{int(seed)}/{get_center(center).key}/{int(index)}".encode()).digest()
    return int.from_bytes(digest[:4], "little") & 0x7FFFFFFF


def _canonical(options: dict) -> dict:
    unknown = sorted(set(options) - set(SUBJECT_OPTIONS))
    if unknown:
        raise TypeError(
            f"Unknown subject option(s) {unknown}; allowed: {', '.join(SUBJECT_OPTIONS)}."
        )
    merged = {**SUBJECT_OPTIONS, **options}
    merged["contrasts"] = list(merged["contrasts"])
    for name in ("lesions", "tumor", "low_lesion_load"):
        merged[name] = bool(merged[name])
    for name in ("atrophy", "deformation_strength"):
        merged[name] = float(merged[name])
    merged["n_raters"] = int(merged["n_raters"])
    return merged


def make_cohort(
    n: int,
    center: str = "siemens_verio_3t",
    seed: int = 0,
    resolution: int = 2,
    cache: bool = True,
    progress: bool = False,
    **subject_options,
) -> list[Subject]:
    """Simulate (or load from the cache) ``n`` subjects of one center.

    Subject ``i`` is ``simulate_subject(center, subject_seed(seed, center, i),
    resolution, **subject_options)``, so the same arguments always give
    identical arrays. With ``cache=True`` the cohort is stored under
    ``course_lib.core.paths.data_dir() / "simulated" / <hash>`` as NIfTI + JSON and
    later calls load it (>= 10x faster than simulating; float images are
    memory-mapped, read-only).

    Parameters
    ----------
    n : int
        Number of subjects (>= 0).
    center : str
        Center key or MS-SEG number, see :data:`CENTERS`.
    seed : int
        Cohort seed (>= 0).
    resolution : int
        1 or 2 mm.
    cache : bool
        Read/write the on-disk cache.
    progress : bool
        Show a ``tqdm.auto`` progress bar while simulating.
    **subject_options
        Forwarded to :func:`simulate_subject` (``lesions``, ``n_raters``,
        ``tumor``, ``atrophy``, ``low_lesion_load``, ``contrasts``,
        ``deformation_strength``).

    Returns
    -------
    list of Subject

    Raises
    ------
    ValueError
        Negative ``n`` or ``seed``, unknown center, resolution not 1 or 2.
    TypeError
        Unknown subject option.
    PermissionError
        The cache directory is not writable (names ``COURSE_DATA_DIR``).
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n (number of subjects) must be a non-negative integer, got {n!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    center_key = get_center(center).key
    resolution = check_resolution(resolution)
    options = _canonical(subject_options)
    seeds = [subject_seed(seed, center_key, i) for i in range(n)]

    def generate():
        indices = range(n)
        if progress:
            from tqdm.auto import tqdm

            indices = tqdm(indices, desc=f"simulating {center_key}", leave=False)
        for i in indices:
            yield simulate_subject(center_key, seeds[i], resolution, **options)

    if not cache or n == 0:
        return list(generate())
    arguments = {
        "n": n,
        "center": center_key,
        "seed": seed,
        "resolution": resolution,
        "options": options,
    }
    key = cohort_key(arguments)
    cached = load_cohort(key)
    if cached is not None:
        logger.info("Loaded cohort %s from the cache.", key)
        return cached
    subjects: list[Subject] = []

    def keep():
        for subject in generate():
            subjects.append(subject)
            yield subject

    path = store_cohort(key, arguments, keep())
    logger.info("Simulated %d subjects; cached in %s.", n, path)
    return subjects
