"""course_lib: the small library shared by the chapters of *Machine Learning for Medical
Image Processing*.

Each chapter builds its idea from scratch first, then uses the library version. What each
chapter uses (all imports are lazy: ``import course_lib`` loads neither PyTorch nor
matplotlib until a name that needs them is used):

=======  ================================  ===============================================
chapter  topic                             modules
=======  ================================  ===============================================
all      setup, gates, run record          ``core`` (device, seeding, profile, paths,
                                           gates, inference, run_record), ``viz``
                                           (plotting), ``evaluation.statistics``
00       tour, NIfTI, templates            ``simulation.anatomy``, ``viz.viewer``,
                                           ``geometry``, ``nifti``
01       MLP tissue classification         ``core.training``, ``models.mlp``,
                                           ``classic.features``, ``metrics.overlap``
01a      the data simulator                ``simulation`` (mr_physics, acquisition,
                                           centers, lesions, raters, tumors)
01b      2-D image classification          ``models.cnn_classifier``,
                                           ``core.inference``, ``simulation``
02       patch CNN, lesions                ``models.patch_cnn``,
                                           ``models.dense_prediction``,
                                           ``classic.features``, ``metrics``
03a/b    affine / nonlinear registration   ``geometry``, ``registration``
                                           (+ ``registration.explorer``)
04       U-Net, NeuroNet                   ``models.unet``, ``core.inference``,
                                           ``core.losses``, ``core.patches``,
                                           ``classic.tissue_gmm``
05       data augmentation                 ``augmentation``, ``core.patches``
05b      training-set size, learning       ``core.patches``, ``core.inference``,
         curves                            ``evaluation.statistics``
06       transfer learning                 ``transfer`` (data, segmenter, finetune,
                                           pretrain), ``models.checkpoint``
07       GANs, image translation           ``models.gan``, ``models.pix2pix``,
                                           ``models.cyclegan``,
                                           ``generative.gan_evaluation``
08       harmonization                     ``harmonization``, ``core.inference``
09       VAE anomaly detection             ``models.autoencoders``, ``generative.anomaly``,
                                           ``generative.anomaly_metrics``,
                                           ``core.inference``
10       transformers                      ``models.attention``, ``models.vit``,
                                           ``models.cnn_classifier``, ``models.transunet``,
                                           ``models.compute_cost``,
                                           ``simulation.long_range``
11a      privacy, de-identification        ``privacy`` (basic_profile and its CSV table,
                                           dicom_deid, dicom_files, phi_audit,
                                           nifti_privacy, uid_mapper)
11b      federated learning, DP,           ``federated`` (+ ``federated.comparison``),
         membership inference              ``privacy`` (dp_sgd, rdp_accountant,
                                           membership_inference)
12       evaluation, challenges            ``evaluation`` (consensus: majority vote and
                                           STAPLE, challenge, kappa), ``metrics``
13       interactive learning (ilastik)    ``interactive`` (features, scribble_forest,
                                           simulated_user, scribble_widget)
14       self-supervised learning          ``selfsupervised`` (slices, contrastive,
                                           probe), ``augmentation``
15       foundation models (MedSAM)        ``foundation`` (boxes, prompted_crops),
                                           ``models.promptable``
any      real public data (optional)       ``real_data`` (``COURSE_DATA=real``), with
                                           ``data_fetch``; ``exceptions``
=======  ================================  ===============================================

Comparisons are reported with :mod:`course_lib.evaluation.statistics` and checked with
:mod:`course_lib.core.gates` in every chapter. The most used names are importable from the
top level: ``from course_lib import fit, get_profile, RunRecord, seed_everything``.
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=[
        "augmentation",
        "classic",
        "core",
        "evaluation",
        "federated",
        "foundation",
        "generative",
        "exceptions",
        "geometry",
        "harmonization",
        "interactive",
        "metrics",
        "models",
        "nifti",
        "privacy",
        "real_data",
        "registration",
        "selfsupervised",
        "simulation",
        "transfer",
        "viz",
    ],
    names={
        "core.device": ["available_devices", "get_device"],
        "core.gates": ["check_gate", "negative_control"],
        "core.paths": ["data_dir"],
        "core.profile": ["Profile", "get_profile"],
        "core.run_record": ["RunRecord"],
        "core.seeding": ["seed_everything"],
        "core.training": ["History", "evaluate", "fit"],
        "viz.plotting": ["orthogonal_slices", "plot_history", "show_orthogonal", "show_slices"],
        "viz.viewer": ["SliceViewer"],
    },
)
__version__ = "0.1.0"
