"""Evaluating segmentations the way challenges do (chapter 12), and comparing results.

* ``consensus``: majority vote and STAPLE, the consensus of several raters' masks, ``(K, ...)`` stacks;
  STAPLE after Warfield, Zou & Wells (2004), doi:10.1109/TMI.2004.828354;
* ``challenge``: score matrices, rankings, leaderboards and bootstrap rank stability
  (Maier-Hein et al. 2018, doi:10.1038/s41467-018-07619-7);
* ``kappa``: chance-corrected agreement between observers, Cohen's and Fleiss' kappa;
* ``statistics``: paired differences with their uncertainty over seeds and subjects, the
  convention every chapter uses to report a comparison.
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["challenge", "consensus", "kappa", "statistics"],
    names={
        "challenge": ["bootstrap_ranking", "leaderboard", "rank_methods", "threshold_lesions"],
        "consensus": ["StapleResult", "majority_vote", "stack_masks", "staple", "vote_fraction"],
        "kappa": ["cohen_kappa", "fleiss_kappa", "pairwise_cohen_kappa"],
        "statistics": ["PairedDifference", "mean_sd", "paired_difference"],
    },
)
