"""Classical (pre-deep-learning) baselines the networks are compared with.

* ``features``: hand-made voxel features -- a voxel's neighbourhood (chapter 01) and
  lesion features for a random forest (chapter 02) -- and small-component removal;
* ``tissue_gmm``: a FAST-like Gaussian-mixture tissue segmentation with a spatial prior
  (chapter 04, NeuroNet's "classical tool").
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["features", "tissue_gmm"],
    names={
        "features": ["lesion_features", "neighbourhood_features", "remove_small_components"],
        "tissue_gmm": ["TissueGMM", "segment_tissues"],
    },
)
