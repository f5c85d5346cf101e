"""Lazy imports for the package ``__init__`` files (the pattern of scikit-image's
``lazy_loader``, SPEC 1 of the Scientific Python community).

``import course_lib`` must be fast and must not pull in PyTorch or matplotlib: a chapter
that only simulates data, or ``data_fetch`` looking up the data directory, should not pay
for them. Each ``__init__`` therefore *declares* what it offers and imports a submodule
only when one of its names is first used::

    __getattr__, __dir__, __all__ = attach(
        __name__,
        submodules=["models", "metrics"],
        names={"training": ["fit", "evaluate"]},
    )

``course_lib.fit`` then imports ``course_lib.training`` on first access and returns its
``fit``; ``course_lib.models`` imports the subpackage. Python calls a module's
``__getattr__`` only for names it does not already have (PEP 562), so after the first
access nothing is slower than a plain import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

from course_lib._checks import did_you_mean

__all__ = ["attach"]


def attach(
    package: str,
    submodules: Iterable[str] = (),
    names: Mapping[str, Iterable[str]] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """Declare a package's public names and import their modules on first use.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    submodules : iterable of str
        Submodules (or subpackages) reachable as attributes, e.g. ``"models"``.
    names : mapping of str to iterable of str
        For each submodule, the names it exports at the package level. A key written in
        full (``"course_lib.geometry"``) re-exports names of a module outside the package.

    Returns
    -------
    (__getattr__, __dir__, __all__)
        To assign in the package's ``__init__``.
    """
    submodules = list(submodules)
    origin: dict[str, str] = {}
    for module, exported in (names or {}).items():
        for name in exported:
            origin[name] = module
    public = sorted(set(submodules) | set(origin))

    def __getattr__(name: str) -> Any:
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        if name in origin:
            source = origin[name]
            full = source if source.startswith("course_lib.") else f"{package}.{source}"
            module: ModuleType = importlib.import_module(full)
            return getattr(module, name)
        raise AttributeError(
            f"module {package!r} has no attribute {name!r}.{did_you_mean(name, public)}"
        )

    def __dir__() -> list[str]:
        return list(public)

    return __getattr__, __dir__, list(public)
