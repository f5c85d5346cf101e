"""Neural network models of the course (PyTorch), one concept per module.

========================  =====================================================  =======
module                    contents                                               chapter
========================  =====================================================  =======
``mlp``                   :class:`MLP`, :func:`mlp_parameter_count`               01
``patch_cnn``             :class:`PatchCNN`, :func:`patch_cnn_parameter_count`    02
``dense_prediction``      :func:`to_fully_convolutional`                          02
``unet``                  :class:`UNet` (2-D/3-D, multi-head)                     04-08
``autoencoders``          :class:`AutoEncoder`, :class:`VAE`, :func:`vae_loss`    09
``attention``             :func:`scaled_dot_product_attention`,                   10
                          :class:`MultiHeadSelfAttention`, :class:`TransformerBlock`
``vit``                   :class:`ViT`, :func:`attention_rollout`                 10
``cnn_classifier``        :class:`CNNClassifier`, :func:`receptive_field`         10
``compute_cost``          :func:`count_macs` (multiply-accumulates of a forward)  10
``transunet``             :class:`TransUNetLite`                                  10
``gan``                   DCGAN :class:`Generator` / :class:`Discriminator`,      07a
                          :func:`gan_training_step`
``pix2pix``               :class:`UNetGenerator`, :class:`PatchDiscriminator`,    07b
                          :func:`pix2pix_training_step`
``cyclegan``              :func:`cyclegan_training_step`,                         07b
                          :func:`least_squares_gan_loss`
``checkpoint``            :func:`save_checkpoint`, :func:`load_checkpoint`        06-
``promptable``            :class:`PromptableSegmenter` (U-Net + box channel)       15
``utils``                 :func:`count_parameters`, :func:`set_requires_grad`     all
========================  =====================================================  =======

All models return logits (the softmax/sigmoid is part of the loss), validate
their arguments in ``__init__`` and keep their construction arguments in
``model.config`` so that checkpoints can rebuild them.
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=[
        "attention",
        "autoencoders",
        "checkpoint",
        "cnn_classifier",
        "compute_cost",
        "cyclegan",
        "dense_prediction",
        "gan",
        "mlp",
        "patch_cnn",
        "pix2pix",
        "promptable",
        "transunet",
        "unet",
        "utils",
        "vit",
    ],
    names={
        "attention": ["MultiHeadSelfAttention", "TransformerBlock", "scaled_dot_product_attention"],
        "autoencoders": ["VAE", "AutoEncoder", "vae_loss"],
        "checkpoint": ["load_checkpoint", "save_checkpoint"],
        "cnn_classifier": ["CNNClassifier", "receptive_field"],
        "compute_cost": ["count_macs"],
        "cyclegan": ["cyclegan_training_step", "least_squares_gan_loss"],
        "dense_prediction": ["to_fully_convolutional"],
        "gan": ["Discriminator", "Generator", "dcgan_weights_init", "gan_training_step"],
        "mlp": ["MLP", "mlp_parameter_count"],
        "patch_cnn": ["PatchCNN", "patch_cnn_parameter_count"],
        "pix2pix": ["PatchDiscriminator", "UNetGenerator", "pix2pix_training_step"],
        "promptable": ["PromptableSegmenter"],
        "transunet": ["TransUNetLite"],
        "unet": ["UNet"],
        "utils": ["count_parameters", "set_requires_grad"],
        "vit": ["ViT", "attention_rollout", "cls_attention_map", "sincos_position_embedding"],
    },
)
