"""Where the course keeps its data: one cache shared by the simulator and ``data_fetch``.

The location is chosen, in order, by

1. the environment variable ``COURSE_DATA_DIR`` (set it to put the cache on a larger disk,
   on a USB stick handed out in class, or in a temporary folder for tests);
2. ``~/.cache/ml-medical-course`` (``$XDG_CACHE_HOME/ml-medical-course`` when that is set).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["data_dir", "ensure_writable_dir", "DATA_DIR_ENV"]

DATA_DIR_ENV = "COURSE_DATA_DIR"


def data_dir() -> Path:
    """Return the course's data directory (not created here).

    Returns
    -------
    pathlib.Path
        ``$COURSE_DATA_DIR`` when set, else ``$XDG_CACHE_HOME/ml-medical-course`` or
        ``~/.cache/ml-medical-course``. The path is absolute and user-expanded.
    """
    configured = os.environ.get(DATA_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    cache_home = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(cache_home).expanduser() if cache_home else Path.home() / ".cache"
    return (base / "ml-medical-course").resolve()


def ensure_writable_dir(path: Path) -> Path:
    """Create ``path`` if needed and check that files can be written in it.

    Parameters
    ----------
    path : pathlib.Path
        Directory that will receive cache files.

    Returns
    -------
    pathlib.Path
        The same path, now existing and writable.

    Raises
    ------
    PermissionError
        If the directory cannot be created or written; the message names
        ``COURSE_DATA_DIR`` so the user knows how to point the cache elsewhere.
    """
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as error:
        raise PermissionError(
            f"The course data directory {path} is not writable ({error.strerror or error}). "
            f"Set {DATA_DIR_ENV} to a folder you can write, e.g. "
            f"`export {DATA_DIR_ENV}=$HOME/course-data`."
        ) from error
    return path
