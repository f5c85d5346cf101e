"""Foundation models in miniature (chapter 15): box-prompted segmentation.

* ``boxes``: box prompts -- the tight box of a mask, a jittered box as a user would draw it,
  a box rasterised as a mask, and the ellipse inscribed in a box (a baseline);
* ``prompted_crops``: objects of a slice turned into fixed-size, box-centred crops with a
  prompt channel (what the promptable segmenter sees), and predictions scored back on the
  slice's own grid.

The model itself is :class:`course_lib.models.promptable.PromptableSegmenter`.
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["boxes", "prompted_crops"],
    names={
        "boxes": ["Box", "box_from_mask", "jitter_box", "box_mask", "ellipse_in_box"],
        "prompted_crops": [
            "PromptedCrops",
            "crop_objects",
            "slice_objects",
            "window_dice",
            "otsu_in_box",
        ],
    },
)
