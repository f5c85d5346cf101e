"""course_lib: the small library shared by the chapters of *Machine Learning for Medical
Image Processing*.

The core (device, seeding, run profile, training loop, run record, plotting) is importable
from the top level; the larger topics are subpackages imported by the chapters that need
them: ``course_lib.simulation`` (data), ``course_lib.models``, ``course_lib.metrics``,
``course_lib.registration``, ``course_lib.augmentation``, ``course_lib.harmonization``,
``course_lib.consensus``, ``course_lib.federated``, ``course_lib.privacy``.
"""
from course_lib.device import available_devices, get_device
from course_lib.paths import data_dir
from course_lib.plotting import orthogonal_slices, plot_history, show_orthogonal, show_slices
from course_lib.profile import Profile, get_profile
from course_lib.run_record import RunRecord
from course_lib.seeding import seed_everything
from course_lib.training import History, evaluate, fit
from course_lib.viewer import SliceViewer

__all__ = [
    "available_devices", "get_device", "data_dir", "orthogonal_slices", "plot_history",
    "show_orthogonal", "show_slices", "Profile", "get_profile", "RunRecord",
    "seed_everything", "History", "evaluate", "fit", "SliceViewer",
]
__version__ = "0.1.0"
