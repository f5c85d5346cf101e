"""Real public data sets in the structures the chapters already use (``COURSE_DATA=real``).

Every chapter runs on simulated data by default. With ``COURSE_DATA=real`` (see
:func:`use_real_data`) a chapter swaps its data for a real data set, fetched once with
``python -m data_fetch get NAME`` (nothing is downloaded behind your back unless you pass
``download=True``). One module per family, each naming the chapters it serves:

* :mod:`~course_lib.real_data.ixi` -- IXI T1/T2/PD of healthy adults from three London
  hospitals (chapters 03a, 07, 08): :func:`ixi_subjects`.
* :mod:`~course_lib.real_data.msd` -- Medical Segmentation Decathlon hippocampus and
  brain tumour (chapters 04, 09): :func:`msd_subjects`.
* :mod:`~course_lib.real_data.medmnist` -- OrganAMNIST, 28 x 28 CT slices in 11 organ
  classes (chapter 10), and DermaMNIST, 28 x 28 RGB dermatoscopy in 7 diagnoses (chapter 01b):
  :func:`medmnist_split`.
* :mod:`~course_lib.real_data.dermamnist` -- DermaMNIST as a yes/no task, melanoma or not
  (chapter 01b): :func:`dermamnist_split`.

Volumes come back as :class:`RealSubject` (``images``, ``affine``, ``labels``,
``brain_mask``... like a simulated ``Subject``), read with :func:`course_lib.nifti.read_nifti`
and put in the closest RAS+ voxel order (optionally resampled to 1 or 2 mm).
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["dermamnist", "ixi", "medmnist", "msd", "source", "volumes"],
    names={
        "dermamnist": [
            "DERMAMNIST",
            "BinarySet",
            "MALIGNANT",
            "MELANOMA",
            "binary_task",
            "dermamnist_split",
        ],
        "ixi": ["IXI_CONTRASTS", "IXI_SITES", "ixi_subjects"],
        "medmnist": ["ImageSet", "medmnist_split"],
        "msd": ["MSD_TASKS", "msd_subjects"],
        "source": ["DATA_ENV", "RealDataNotCachedError", "data_source", "use_real_data"],
        "volumes": ["RealSubject", "load_volume"],
    },
)
