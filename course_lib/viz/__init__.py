"""Figures and widgets shared by the chapters (matplotlib, ipywidgets).

* ``plotting``: :func:`show_slices`, :func:`show_orthogonal`, :func:`plot_history`,
  :func:`label_colormap` (chapters 00-12);
* ``viewer``: :class:`SliceViewer`, three orthogonal views with sliders (chapter 00).

Widgets are small classes over tested pure functions; without a browser they draw a static
figure.
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["plotting", "viewer"],
    names={
        "plotting": [
            "label_colormap",
            "orthogonal_slices",
            "plot_history",
            "show_orthogonal",
            "show_slices",
        ],
        "viewer": ["SliceViewer"],
    },
)
