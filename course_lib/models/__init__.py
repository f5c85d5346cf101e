"""Neural network models of the course (PyTorch), one concept per module.

========================  =====================================================  =======
module                    contents                                               chapter
========================  =====================================================  =======
``mlp``                   :class:`MLP`, :func:`mlp_parameter_count`               01
``patch_cnn``             :class:`PatchCNN`, :func:`patch_cnn_parameter_count`    02
``dense_prediction``      :func:`predict_dense`, :func:`extract_patches`,         02
                          :func:`to_fully_convolutional`
``unet``                  :class:`UNet` (2-D/3-D, multi-head)                     04-08
``autoencoders``          :class:`AutoEncoder`, :class:`VAE`, :func:`vae_loss`    09
``attention``             :func:`scaled_dot_product_attention`,                   10
                          :class:`MultiHeadSelfAttention`, :class:`TransformerBlock`
``vit``                   :class:`ViT`, :func:`attention_rollout`                 10
``cnn_classifier``        :class:`CNNClassifier`, :func:`receptive_field`         10
``transunet``             :class:`TransUNetLite`                                  10
``gan``                   DCGAN :class:`Generator` / :class:`Discriminator`,      07
                          :func:`gan_training_step`
``pix2pix``               :class:`UNetGenerator`, :class:`PatchDiscriminator`,    07
                          :func:`pix2pix_training_step`
``checkpoint``            :func:`save_checkpoint`, :func:`load_checkpoint`        06-
``utils``                 :func:`count_parameters`, :func:`set_requires_grad`     all
========================  =====================================================  =======

All models return logits (the softmax/sigmoid is part of the loss), validate
their arguments in ``__init__`` and keep their construction arguments in
``model.config`` so that checkpoints can rebuild them.
"""

from .attention import MultiHeadSelfAttention, TransformerBlock, scaled_dot_product_attention
from .autoencoders import VAE, AutoEncoder, vae_loss
from .checkpoint import load_checkpoint, save_checkpoint
from .cnn_classifier import CNNClassifier, receptive_field
from .dense_prediction import extract_patches, predict_dense, to_fully_convolutional
from .gan import Discriminator, Generator, dcgan_weights_init, gan_training_step
from .mlp import MLP, mlp_parameter_count
from .patch_cnn import PatchCNN, patch_cnn_parameter_count
from .pix2pix import PatchDiscriminator, UNetGenerator, pix2pix_training_step
from .transunet import TransUNetLite
from .unet import UNet
from .utils import count_parameters, set_requires_grad
from .vit import ViT, attention_rollout, cls_attention_map, sincos_position_embedding

__all__ = [
    "MLP",
    "VAE",
    "AutoEncoder",
    "CNNClassifier",
    "Discriminator",
    "Generator",
    "MultiHeadSelfAttention",
    "PatchCNN",
    "PatchDiscriminator",
    "TransUNetLite",
    "TransformerBlock",
    "UNet",
    "UNetGenerator",
    "ViT",
    "attention_rollout",
    "cls_attention_map",
    "count_parameters",
    "dcgan_weights_init",
    "extract_patches",
    "gan_training_step",
    "load_checkpoint",
    "mlp_parameter_count",
    "patch_cnn_parameter_count",
    "pix2pix_training_step",
    "predict_dense",
    "receptive_field",
    "save_checkpoint",
    "scaled_dot_product_attention",
    "set_requires_grad",
    "sincos_position_embedding",
    "to_fully_convolutional",
    "vae_loss",
]
