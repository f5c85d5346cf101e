"""Interactive shallow learning, ilastik-style (chapter 13).

* ``features``: the multi-scale filter bank (Gaussian, gradient magnitude, Laplacian of
  Gaussian, structure-tensor eigenvalues at several scales);
* ``scribble_forest``: brush strokes, simulated strokes drawn from a ground truth, and the random
  forest trained on painted pixels;
* ``simulated_user``: a user replayed from a ground truth and a seed (random or corrective
  strokes), so that sessions are deterministic;
* ``scribble_widget``: the painting widget (ipympl + ipywidgets) and its browser-free session.
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["features", "scribble_forest", "simulated_user", "scribble_widget"],
    names={
        "features": ["filter_bank", "feature_names"],
        "scribble_forest": ["ScribbleForest", "Stroke", "paint", "simulated_strokes", "mean_dice"],
        "simulated_user": ["run_session"],
        "scribble_widget": ["ScribbleSession"],
    },
)
