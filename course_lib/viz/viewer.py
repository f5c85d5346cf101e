"""An interactive three-plane slice viewer for JupyterLab (ipywidgets), with a static fallback.

The logic is in tested pure methods (:meth:`SliceViewer.readout`, :meth:`SliceViewer.draw`);
the widget only wires sliders to them. Without a browser (CI, nbconvert), call
:meth:`SliceViewer.static_figure` to get the same picture as a plain matplotlib figure.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from course_lib.viz.plotting import show_orthogonal

__all__ = ["SliceViewer"]


class SliceViewer:
    """Three orthogonal views of a volume with slice sliders and an optional label overlay.

    Parameters
    ----------
    volume : ndarray, shape (I, J, K)
        Image in RAS+ voxel order (see :mod:`course_lib.viz.plotting`).
    affine : ndarray (4, 4)
        Voxel -> world (mm) matrix, axis-aligned.
    overlay : ndarray of int, shape (I, J, K), optional
        Label map drawn in colour (0 transparent), e.g. tissue labels.
    label_names : mapping of int to str, optional
        Names shown in the readout (e.g. ``{1: "CSF", 2: "GM", 3: "WM"}``).
    title : str, optional
    """

    def __init__(
        self,
        volume: np.ndarray,
        affine: np.ndarray,
        overlay: np.ndarray | None = None,
        label_names: Mapping[int, str] | None = None,
        title: str | None = None,
    ):
        volume = np.asarray(volume)
        if volume.ndim != 3:
            raise ValueError(f"volume must be 3-D, got shape {volume.shape}")
        if overlay is not None and np.shape(overlay) != volume.shape:
            raise ValueError(
                f"overlay shape {np.shape(overlay)} differs from volume shape {volume.shape}; "
                "resample it onto the volume's grid first"
            )
        self.volume = volume
        self.affine = np.asarray(affine, dtype=float)
        self.overlay = None if overlay is None else np.asarray(overlay)
        self.label_names = dict(label_names or {})
        self.title = title
        self.index = [s // 2 for s in volume.shape]
        finite = volume[np.isfinite(volume)]
        self._range = (float(np.percentile(finite, 1)), float(np.percentile(finite, 99.5)))

    def voxel_to_world(self, index: Sequence[int]) -> np.ndarray:
        """World coordinates (mm, RAS+) of a voxel index ``(i, j, k)``."""
        return (self.affine @ np.array([*index, 1.0]))[:3]

    def readout(self, index: Sequence[int] | None = None) -> str:
        """One line describing the voxel under the cursor: index, world mm, value, label."""
        index = self.index if index is None else [int(v) for v in index]
        x, y, z = self.voxel_to_world(index)
        value = float(self.volume[tuple(index)])
        text = (
            f"voxel ({index[0]}, {index[1]}, {index[2]}) → world ({x:.0f}, {y:.0f}, "
            f"{z:.0f}) mm; intensity {value:.3g}"
        )
        if self.overlay is not None:
            label = int(self.overlay[tuple(index)])
            text += f"; label {label}"
            if label in self.label_names:
                text += f" ({self.label_names[label]})"
        return text

    def draw(
        self,
        index: Sequence[int] | None = None,
        show_overlay: bool = True,
        axes: Sequence[plt.Axes] | None = None,
    ) -> plt.Figure:
        """Draw the three views through ``index`` (default: the current position)."""
        if index is not None:
            self.index = [int(v) for v in index]
        overlay = self.overlay if show_overlay else None
        return show_orthogonal(
            self.volume,
            self.affine,
            self.index,
            overlay=overlay,
            axes=axes,
            title=self.title,
            vmin=self._range[0],
            vmax=self._range[1],
        )

    def static_figure(self) -> plt.Figure:
        """The viewer's picture at the current position, for runs without a browser."""
        return self.draw()

    def widget(self):
        """Build the interactive widget (three sliders, an overlay toggle and a readout)."""
        import ipywidgets as widgets
        from IPython.display import display

        sliders = [
            widgets.IntSlider(
                value=self.index[axis],
                min=0,
                max=size - 1,
                description=f"{'ijk'[axis]} ({'xyz'[axis]})",
                continuous_update=False,
            )
            for axis, size in enumerate(self.volume.shape)
        ]
        toggle = widgets.Checkbox(
            value=self.overlay is not None, description="overlay", disabled=self.overlay is None
        )
        readout = widgets.Label(value=self.readout())
        output = widgets.Output()

        def update(_change=None):
            self.index = [slider.value for slider in sliders]
            readout.value = self.readout()
            with output:
                output.clear_output(wait=True)
                figure = self.draw(show_overlay=toggle.value)
                display(figure)
                plt.close(figure)

        for control in (*sliders, toggle):
            control.observe(update, names="value")
        update()
        return widgets.VBox([widgets.HBox(sliders), widgets.HBox([toggle, readout]), output])
