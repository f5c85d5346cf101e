"""Cross-silo federated learning (chapter 11b): FedAvg and FedProx, simulated on one machine.

Design rule: the server API receives only model parameters and sample counts.
:class:`ClientUpdate` is the one message type a site can send; :class:`FedAvgServer`
checks it against the global model's names and shapes before averaging.

* :class:`Client` -- local training for E epochs (FedProx with ``mu > 0``).
* :class:`FedAvgServer` -- validation and sample-weighted averaging.
* :func:`run_fedavg` -- rounds of FedAvg with per-round evaluation.
* :mod:`~course_lib.federated.experiment` -- chapter 11b's lesion voxels per scanner.
* :mod:`~course_lib.federated.comparison` -- centralised, single-center and FedAvg
  training on equal terms (same initial weights and passes, checkpoint chosen on
  validation subjects, one test set).

References
----------
McMahan et al. (2017), AISTATS, arXiv:1602.05629; Li et al. (2020), MLSys,
arXiv:1812.06127.
"""

from course_lib._lazy import attach

__getattr__, __dir__, __all__ = attach(
    __name__,
    submodules=["client", "client_update", "comparison", "experiment", "fedavg", "server"],
    names={
        "client": ["Client"],
        "client_update": ["ClientUpdate", "UpdateRejected"],
        "fedavg": ["run_fedavg"],
        "server": ["FedAvgServer"],
    },
)
