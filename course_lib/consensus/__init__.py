"""Consensus of several raters' segmentations: majority vote and STAPLE.

Inputs are K binary masks stacked as ``(K, ...)`` (e.g. ``(7, H, W, D)`` for
the seven experts of an MS-SEG case). ``majority_vote`` counts every rater
equally; ``staple`` (Warfield, Zou & Wells 2004, doi:10.1109/TMI.2004.828354)
estimates each rater's sensitivity and specificity and weighs them.
"""
from course_lib.consensus.majority_vote import majority_vote, stack_masks, vote_fraction
from course_lib.consensus.staple import StapleResult, staple

__all__ = ["majority_vote", "vote_fraction", "stack_masks", "StapleResult", "staple"]
