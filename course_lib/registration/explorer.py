"""The 12-slider affine explorer of chapter 03: the lecture's parameters, moving over fixed.

The logic is in tested pure functions (:func:`constrain_params`, :func:`checkerboard`,
:func:`overlay_rgb`, :func:`matrix_text`) and in :class:`RegistrationExplorer`'s
``readout`` / ``draw`` methods; :meth:`RegistrationExplorer.widget` only wires ipywidgets
sliders to them, and :meth:`RegistrationExplorer.static_figure` draws the same picture
without a browser.

Conventions: parameters are the lecture's ``q1..q12`` (:func:`course_lib.registration.
affine_matrix`: translations in mm, angles in **degrees on the sliders** but radians in the
parameter vector, zooms, shears); the matrix acts on world mm (RAS) and is a pull-back,
``shown(x) = moving(A x)``, exactly as :func:`course_lib.registration.resample` applies it.
"""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np

from course_lib.registration import affine_matrix, identity_params, ncc, resample

__all__ = [
    "PARAM_NAMES",
    "FAMILIES",
    "free_parameters",
    "constrain_params",
    "checkerboard",
    "overlay_rgb",
    "matrix_text",
    "slider_to_params",
    "RegistrationExplorer",
    "sweep_readout",
    "SweepBrowser",
]

PARAM_NAMES = (
    "q1 tx (mm)",
    "q2 ty (mm)",
    "q3 tz (mm)",
    "q4 rot x (deg)",
    "q5 rot y (deg)",
    "q6 rot z (deg)",
    "q7 zoom x",
    "q8 zoom y",
    "q9 zoom z",
    "q10 shear xy",
    "q11 shear xz",
    "q12 shear yz",
)
"""Slider labels of the lecture's twelve parameters, in order."""

FAMILIES = ("rigid", "similarity", "affine")
"""Transform families of the lecture: rigid (6), + isotropic zoom (7), + zooms and shears (12)."""

_ANGLES = slice(3, 6)
_ZOOMS = slice(6, 9)
_SHEARS = slice(9, 12)


def _check_family(family: str) -> str:
    if family not in FAMILIES:
        raise ValueError(
            f"family must be one of {FAMILIES}, got {family!r}; 'rigid' frees "
            "translations and rotations, 'similarity' adds one isotropic zoom, "
            "'affine' frees all 12 parameters."
        )
    return family


def free_parameters(family: str) -> tuple[int, ...]:
    """Indices (0-based, into ``q1..q12``) of the sliders a family lets move freely.

    Rigid frees the 3 translations and 3 rotations; similarity adds the zoom (one value for
    the three axes: 7 degrees of freedom, the ``q7`` slider drives them); affine frees all
    12. Returns a tuple of indices.
    """
    family = _check_family(family)
    if family == "rigid":
        return tuple(range(6))
    if family == "similarity":
        return tuple(range(7))
    return tuple(range(12))


def constrain_params(params: Sequence[float], family: str) -> np.ndarray:
    """Project twelve parameters (radians) onto a family.

    Rigid: zooms set to 1 and shears to 0. Similarity: the three zooms take the value of
    ``q7`` (isotropic), shears 0. Affine: unchanged.

    Parameters
    ----------
    params : sequence of float
        ``(12,)`` the lecture's parameters, angles in radians.
    family : {"rigid", "similarity", "affine"}

    Returns
    -------
    numpy.ndarray
        ``(12,)`` float64.
    """
    q = np.asarray(params, dtype=np.float64).copy()
    if q.shape != (12,):
        raise ValueError(
            f"params must hold the 12 parameters q1..q12, got shape {q.shape}; "
            "start from course_lib.registration.identity_params(3)."
        )
    family = _check_family(family)
    if family == "rigid":
        q[_ZOOMS], q[_SHEARS] = 1.0, 0.0
    elif family == "similarity":
        q[_ZOOMS], q[_SHEARS] = q[6], 0.0
    return q


def slider_to_params(values: Sequence[float]) -> np.ndarray:
    """Slider values (angles in degrees) -> the lecture's parameters (angles in radians)."""
    q = np.asarray(values, dtype=np.float64).copy()
    q[_ANGLES] = np.deg2rad(q[_ANGLES])
    return q


def _normalise(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, dtype=np.float64)
    hi = np.percentile(image, 99.5)
    return np.clip(image / hi, 0.0, 1.0) if hi > 0 else np.zeros_like(image)


def checkerboard(fixed: np.ndarray, moving: np.ndarray, tiles: int = 8) -> np.ndarray:
    """Checkerboard of two 2-D images: tiles alternate fixed / moving (both scaled to [0, 1]).

    Edges that do not continue across tile borders show misalignment.

    Parameters
    ----------
    fixed, moving : numpy.ndarray
        ``(H, W)`` images on the same grid.
    tiles : int
        Number of tiles along each axis (>= 2).

    Returns
    -------
    numpy.ndarray
        ``(H, W)`` float64 in [0, 1]; tile ``(0, 0)`` shows ``fixed``.
    """
    f, m = _normalise(fixed), _normalise(moving)
    if f.shape != m.shape or f.ndim != 2:
        raise ValueError(
            f"fixed and moving must be 2-D images of the same shape, got "
            f"{f.shape} and {m.shape}; resample moving onto the fixed grid."
        )
    if tiles < 2:
        raise ValueError(f"tiles must be >= 2, got {tiles}.")
    rows = (np.arange(f.shape[0]) * tiles // f.shape[0])[:, None]
    cols = (np.arange(f.shape[1]) * tiles // f.shape[1])[None, :]
    return np.where((rows + cols) % 2 == 0, f, m)


def overlay_rgb(fixed: np.ndarray, moving: np.ndarray) -> np.ndarray:
    """Colour overlay: fixed in magenta, moving in green; aligned structures turn grey.

    Returns an ``(H, W, 3)`` float64 RGB image in [0, 1].
    """
    f, m = _normalise(fixed), _normalise(moving)
    if f.shape != m.shape:
        raise ValueError(f"fixed and moving differ in shape: {f.shape} vs {m.shape}.")
    return np.stack([f, m, f], axis=-1)


def matrix_text(matrix: np.ndarray) -> str:
    """The 4x4 matrix as four fixed-width text rows (3 decimals)."""
    return "\n".join(" ".join(f"{v:8.3f}" for v in row) for row in np.asarray(matrix))


class RegistrationExplorer:
    """Move an image by the lecture's 12 parameters and see it over a fixed image.

    Parameters
    ----------
    fixed, moving : numpy.ndarray
        ``(I, J, K)`` volumes (RAS voxel order).
    fixed_affine, moving_affine : numpy.ndarray
        ``(4, 4)`` voxel -> world (mm) matrices.
    slice_index : int, optional
        Axial index ``k`` of the fixed grid to show (default: the middle).
    """

    def __init__(
        self,
        fixed: np.ndarray,
        moving: np.ndarray,
        fixed_affine: np.ndarray,
        moving_affine: np.ndarray,
        slice_index: int | None = None,
    ):
        self.fixed = np.asarray(fixed, dtype=np.float64)
        self.moving = np.asarray(moving, dtype=np.float64)
        if self.fixed.ndim != 3 or self.moving.ndim != 3:
            raise ValueError("fixed and moving must be 3-D volumes (I, J, K).")
        self.fixed_affine = np.array(fixed_affine, dtype=np.float64)
        self.moving_affine = np.array(moving_affine, dtype=np.float64)
        k = self.fixed.shape[2] // 2 if slice_index is None else int(slice_index)
        self.slice_index = k
        # the axial slice as a thin 3-D grid: only it is resampled per update
        self._slice_affine = self.fixed_affine @ np.array(
            [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, k], [0, 0, 0, 1]], dtype=np.float64
        )
        self.params = identity_params(3)
        self.family = "affine"

    def matrix(self, params: Sequence[float] | None = None, family: str | None = None):
        """``(4, 4)`` world matrix of the (constrained) parameters, lecture composition."""
        q = self.params if params is None else np.asarray(params, dtype=np.float64)
        return affine_matrix(constrain_params(q, family or self.family))

    def moved_slice(
        self, params: Sequence[float] | None = None, family: str | None = None
    ) -> np.ndarray:
        """``(I, J)`` axial slice of ``moving(A x)`` on the fixed grid."""
        # two slices (k, k + 1): torch's affine_grid warns on unit-size grids
        out = resample(
            self.moving,
            self.moving_affine,
            self._slice_affine,
            self.fixed.shape[:2] + (2,),
            transform=self.matrix(params, family),
        )
        return out[:, :, 0]

    def similarity(self, params: Sequence[float] | None = None, family: str | None = None) -> float:
        """NCC between the fixed slice and the moved slice (1 = perfectly correlated)."""
        import torch

        f = torch.from_numpy(self.fixed[:, :, self.slice_index]).reshape(-1)
        m = torch.from_numpy(self.moved_slice(params, family)).reshape(-1)
        return float(ncc(f, m))

    def readout(self, params: Sequence[float] | None = None, family: str | None = None) -> str:
        """Text shown beside the sliders: family and its free parameters, matrix, NCC."""
        family = _check_family(family or self.family)
        free = free_parameters(family)
        names = ", ".join(f"q{i + 1}" for i in free)
        return (
            f"{family}: {len(free)} degrees of freedom "
            f"({names}{' (isotropic zoom)' if family == 'similarity' else ''})\n"
            f"A = T·Rx·Ry·Rz·Z·S =\n{matrix_text(self.matrix(params, family))}\n"
            f"NCC(fixed, moved) = {self.similarity(params, family):.4f}"
        )

    def draw(
        self,
        params: Sequence[float] | None = None,
        family: str | None = None,
        axes: Sequence[plt.Axes] | None = None,
    ) -> plt.Figure:
        """Checkerboard and colour overlay of the moved slice over the fixed slice."""
        fixed = self.fixed[:, :, self.slice_index]
        moved = self.moved_slice(params, family)
        if axes is None:
            fig, axes = plt.subplots(1, 2, figsize=(7, 3.6))
        else:
            fig = axes[0].figure
        axes[0].imshow(checkerboard(fixed, moved).T, origin="lower", cmap="gray")
        axes[0].set_title("checkerboard")
        axes[1].imshow(np.transpose(overlay_rgb(fixed, moved), (1, 0, 2)), origin="lower")
        axes[1].set_title("fixed magenta, moved green")
        for ax in axes:
            ax.axis("off")
        fig.tight_layout()
        return fig

    def static_figure(
        self, params: Sequence[float] | None = None, family: str | None = None
    ) -> plt.Figure:
        """The explorer's picture for given parameters, without a browser."""
        return self.draw(params, family)

    def widget(self):
        """ipywidgets UI: 12 sliders, a family selector, a text readout and the figure."""
        import ipywidgets as widgets
        from IPython.display import display

        ranges = (
            [(-20.0, 20.0, 1.0)] * 3
            + [(-30.0, 30.0, 1.0)] * 3
            + [(0.7, 1.3, 0.01)] * 3
            + [(-0.3, 0.3, 0.01)] * 3
        )
        start = identity_params(3)
        sliders = [
            widgets.FloatSlider(
                value=float(v),
                min=lo,
                max=hi,
                step=st,
                description=name,
                continuous_update=False,
                style={"description_width": "110px"},
            )
            for v, (lo, hi, st), name in zip(start, ranges, PARAM_NAMES)
        ]
        family = widgets.ToggleButtons(options=list(FAMILIES), value=self.family)
        readout = widgets.HTML()
        output = widgets.Output()

        def update(_change=None):
            self.family = family.value
            free = free_parameters(self.family)
            for i, slider in enumerate(sliders):
                slider.disabled = i not in free
            self.params = slider_to_params([s.value for s in sliders])
            readout.value = f"<pre>{self.readout()}</pre>"
            with output:
                output.clear_output(wait=True)
                figure = self.draw()
                display(figure)
                plt.close(figure)

        for control in (*sliders, family):
            control.observe(update, names="value")
        update()
        grid = widgets.GridBox(
            sliders, layout=widgets.Layout(grid_template_columns="repeat(3, 330px)")
        )
        return widgets.VBox([family, grid, widgets.HBox([readout, output])])


def sweep_readout(gamma: float, gm_dice: float, folding_percent: float, affine_dice: float) -> str:
    """One line describing a point of a gamma sweep (GM Dice vs affine, % folding).

    ``folding_percent`` is the percentage of the counted voxels (e.g. those of the brain)
    whose Jacobian determinant is <= 0.
    """
    return (
        f"γ = {gamma:g}: GM Dice {gm_dice:.3f} ({gm_dice - affine_dice:+.3f} vs affine), "
        f"{folding_percent:.2f} % folding"
    )


class SweepBrowser:
    """Browse the results of a nonlinear-registration gamma sweep with one slider.

    Parameters
    ----------
    gammas : sequence of float
        Regularisation weights, in sweep order.
    jacobians : sequence of numpy.ndarray
        ``(H, W)`` Jacobian determinant map of each result.
    gm_dice, folding_percent : sequence of float
        GM Dice and % folding voxels (of the region the caller counts, e.g. the brain) of
        each result.
    affine_dice : float
        GM Dice after affine registration only (the baseline).
    """

    def __init__(self, gammas, jacobians, gm_dice, folding_percent, affine_dice: float):
        n = len(gammas)
        if not (len(jacobians) == len(gm_dice) == len(folding_percent) == n) or n == 0:
            raise ValueError(
                "gammas, jacobians, gm_dice and folding_percent must have the same "
                "non-zero length (one entry per gamma of the sweep)."
            )
        self.gammas = [float(g) for g in gammas]
        self.jacobians = [np.asarray(j) for j in jacobians]
        self.gm_dice = [float(v) for v in gm_dice]
        self.folding = [float(v) for v in folding_percent]
        self.affine_dice = float(affine_dice)

    def readout(self, index: int) -> str:
        """Text for sweep entry ``index``."""
        return sweep_readout(
            self.gammas[index], self.gm_dice[index], self.folding[index], self.affine_dice
        )

    def draw(self, index: int, ax: plt.Axes | None = None) -> plt.Figure:
        """Jacobian determinant map of entry ``index`` (folding voxels outlined)."""
        if ax is None:
            fig, ax = plt.subplots(figsize=(3.6, 3.6))
        else:
            fig = ax.figure
        jac = self.jacobians[index]
        ax.imshow(jac.T, origin="lower", cmap="RdBu", vmin=0, vmax=2)
        if (jac <= 0).any():
            ax.contour((jac <= 0).T.astype(float), levels=[0.5], colors="k", linewidths=0.8)
        ax.set_title(f"det J, γ = {self.gammas[index]:g}", fontsize=9)
        ax.axis("off")
        return fig

    def widget(self):
        """ipywidgets UI: an IntSlider over the sweep, a Label readout and the map."""
        import ipywidgets as widgets
        from IPython.display import display

        slider = widgets.IntSlider(
            value=0,
            min=0,
            max=len(self.gammas) - 1,
            description="gamma index",
            continuous_update=False,
        )
        readout = widgets.Label(value=self.readout(0))
        output = widgets.Output()

        def update(_change=None):
            readout.value = self.readout(slider.value)
            with output:
                output.clear_output(wait=True)
                figure = self.draw(slider.value)
                display(figure)
                plt.close(figure)

        slider.observe(update, names="value")
        update()
        return widgets.VBox([widgets.HBox([slider, readout]), output])
