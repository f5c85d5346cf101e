"""Multi-centre intensity and feature harmonization (chapter 08).

This package needs only NumPy and SciPy, so it imports its modules directly (no lazy
loading: a module and its main function share a name here, ``zscore.zscore``).

Image-level methods (return a new float64 image, same shape):

* :func:`zscore` - mean 0, standard deviation 1 inside a brain mask;
* :func:`white_stripe` - normalise by normal-appearing white matter (Shinohara et al.
  2014, doi:10.1016/j.nicl.2014.08.008);
* :class:`NyulStandardizer` - piecewise-linear histogram standardisation learned from
  training images (Nyúl & Udupa 1999; Nyúl, Udupa & Zhang 2000).

Feature-level method (on a table of regional features, not on images):

* :func:`combat` / :func:`combat_fit` - empirical-Bayes site-effect removal (Johnson et
  al. 2007, doi:10.1093/biostatistics/kxj037; Fortin et al. 2017/2018), with
  :func:`feature_table` to extract regional mean intensities and volumes.
"""

from .combat import CombatModel, combat, combat_fit
from .features import FEATURE_STATS, feature_table
from .nyul import NyulStandardizer, piecewise_linear
from .white_stripe import CONTRAST_RULES, WhiteStripe, find_white_stripe, white_stripe
from .zscore import zscore

__all__ = [
    "zscore",
    "white_stripe",
    "find_white_stripe",
    "WhiteStripe",
    "CONTRAST_RULES",
    "NyulStandardizer",
    "piecewise_linear",
    "combat",
    "combat_fit",
    "CombatModel",
    "feature_table",
    "FEATURE_STATS",
]
