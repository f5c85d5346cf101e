"""The errors course_lib raises about files and data (all chapters).

Every error here derives from :class:`CourseLibError`, so ``except CourseLibError``
catches them all, and each message is one line naming the file and what to do. The
errors are defined beside the code that raises them and collected here:

* :class:`CorruptFileError` (also a ``ValueError``): a file cannot be read as what it
  should be (a damaged NIfTI, a cut JSON sidecar); raised by
  :func:`course_lib.nifti.read_nifti` and the simulated-cohort cache.
* :class:`course_lib.privacy.DicomDirError`: a DICOMDIR given to
  :func:`course_lib.privacy.deidentify_file` (chapter 11).
"""

from __future__ import annotations

__all__ = ["CourseLibError", "CorruptFileError"]


class CourseLibError(Exception):
    """Base class of the errors course_lib raises about files and data."""


class CorruptFileError(CourseLibError, ValueError):
    """A file is damaged or is not what it should be.

    Parameters
    ----------
    path : str or path-like
        The file.
    problem : str
        What is wrong, e.g. ``"the gzip stream ends early"``.
    fix : str
        What to do about it.
    """

    def __init__(self, path, problem: str, fix: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}. {fix}")
