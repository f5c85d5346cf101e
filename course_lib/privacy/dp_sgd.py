"""DP-SGD: per-unit gradient clipping plus Gaussian noise (chapter 11b).

One step (Algorithm 1 of Abadi et al. 2016):

1. sample a lot of examples, each with probability ``q`` (:func:`poisson_sample`);
2. compute each example's gradient ``g_i`` (:func:`per_sample_gradients`, with
   ``torch.func.vmap`` over ``torch.func.grad``);
3. clip it: ``g_i / max(1, ||g_i|| / C)`` (:func:`clip_per_sample`), so that one
   example moves the sum by at most ``C``;
4. add ``N(0, sigma^2 C^2 I)`` to the sum and divide by the expected lot size
   ``q N`` (:func:`private_gradient`);
5. take an ordinary optimizer step with that gradient (:class:`DPSGD`).

**The privacy unit.** The guarantee protects whatever is sampled and clipped as one
unit. In medical imaging that must be the *patient*: when a patient contributes many
examples (patches, slices), per-example clipping bounds one patch's influence, and the
patient's is up to ``k`` times larger (group privacy turns ``(eps, delta)`` into
``(k eps, k e^((k-1) eps) delta)``, Dwork & Roth 2014, Theorem 2.2). With
``groups=`` (:func:`average_by_group`) the lot is a Poisson sample of *patients*, the
gradients of each patient's examples are averaged and the patient's gradient is
clipped, so ``q``, ``N`` and the accountant's epsilon count patients (user-level DP,
McMahan et al. 2018).

The privacy spent is counted by :mod:`course_lib.privacy.rdp_accountant`. Models
must not mix examples within a batch (BatchNorm in training mode does; use
GroupNorm or eval-mode BatchNorm), otherwise per-example gradients are not defined.

References
----------
Abadi, M. et al. (2016). Deep learning with differential privacy. ACM CCS.
doi:10.1145/2976749.2978318
Dwork, C. & Roth, A. (2014). The algorithmic foundations of differential privacy.
Found. Trends Theor. Comput. Sci. 9(3-4). doi:10.1561/0400000042
McMahan, H. B., Ramage, D., Talwar, K. & Zhang, L. (2018). Learning differentially
private recurrent language models. ICLR. arXiv:1710.06963
"""

from __future__ import annotations

from typing import Callable

import torch
from torch import nn
from torch.func import functional_call, grad, vmap

__all__ = [
    "DPSGD",
    "average_by_group",
    "clip_per_sample",
    "per_sample_gradients",
    "poisson_sample",
    "private_gradient",
]

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def poisson_sample(
    n_samples: int, sample_rate: float, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Indices of a Poisson-sampled lot: each of ``n_samples`` kept with probability q.

    Returns
    -------
    torch.Tensor
        1-D int64 tensor of the selected indices (possibly empty), ascending.
    """
    if not 0.0 < sample_rate <= 1.0:
        raise ValueError(f"sample_rate must lie in (0, 1], got {sample_rate}")
    keep = torch.rand(n_samples, generator=generator) < sample_rate
    return torch.nonzero(keep, as_tuple=False).flatten()


def per_sample_gradients(
    model: nn.Module, loss_fn: LossFn, inputs: torch.Tensor, targets: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Gradient of the loss of each example separately.

    Parameters
    ----------
    model : nn.Module
        Model; its parameters with ``requires_grad`` are differentiated.
    loss_fn : callable
        ``loss_fn(outputs, targets)`` returning a scalar (mean or sum over the batch:
        it is called on batches of one example).
    inputs : torch.Tensor
        Batch ``(B, ...)``.
    targets : torch.Tensor
        Targets ``(B, ...)``.

    Returns
    -------
    dict of str to torch.Tensor
        For each trainable parameter name, a tensor ``(B, *param.shape)``.
    """
    params = {name: p.detach() for name, p in model.named_parameters() if p.requires_grad}
    buffers = {name: b.detach() for name, b in model.named_buffers()}

    def loss_of_one(p, x, y):
        out = functional_call(model, (p, buffers), (x.unsqueeze(0),))
        return loss_fn(out, y.unsqueeze(0))

    # randomness="different": each example draws its own dropout mask, as in a loop
    return vmap(grad(loss_of_one), in_dims=(None, 0, 0), randomness="different")(
        params, inputs, targets
    )


def average_by_group(
    grads: dict[str, torch.Tensor], groups: torch.Tensor
) -> dict[str, torch.Tensor]:
    """Average per-example gradients within each privacy unit (patient).

    Parameters
    ----------
    grads : dict of str to torch.Tensor
        Per-example gradients, each ``(B, *param.shape)`` (:func:`per_sample_gradients`).
    groups : torch.Tensor
        ``(B,)`` integer id of each example's unit (e.g. the patient number).

    Returns
    -------
    dict of str to torch.Tensor
        One gradient per distinct unit, ``(G, *param.shape)``, units in increasing id:
        the gradient of that unit's mean loss over its examples in the lot.
    """
    groups = torch.as_tensor(groups)
    if groups.dim() != 1 or groups.dtype.is_floating_point:
        raise ValueError(
            f"groups must be a 1-D integer tensor (one unit id per example), "
            f"got shape {tuple(groups.shape)} and dtype {groups.dtype}"
        )
    for name, g in grads.items():
        if g.shape[0] != groups.shape[0]:
            raise ValueError(
                f"groups has {groups.shape[0]} entries but the gradient of "
                f"{name!r} has {g.shape[0]} examples"
            )
    _, index = torch.unique(groups, return_inverse=True)
    index = index.to(next(iter(grads.values())).device)
    n_units = int(index.max()) + 1 if index.numel() else 0
    counts = torch.bincount(index, minlength=n_units)
    out = {}
    for name, g in grads.items():
        total = torch.zeros((n_units,) + g.shape[1:], dtype=g.dtype, device=g.device)
        total.index_add_(0, index, g)
        out[name] = total / counts.view(-1, *([1] * (g.dim() - 1))).to(g.dtype)
    return out


def clip_per_sample(
    grads: dict[str, torch.Tensor], max_norm: float
) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Scale each example's gradient to an L2 norm of at most ``max_norm``.

    The norm is taken over all parameters together (flat clipping).

    Returns
    -------
    clipped : dict of str to torch.Tensor
        Same shapes as ``grads``.
    norms : torch.Tensor
        ``(B,)`` norms before clipping.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm (the clipping bound C) must be > 0, got {max_norm}")
    flat = torch.cat([g.flatten(start_dim=1) for g in grads.values()], dim=1)
    norms = flat.norm(dim=1)
    factor = (max_norm / (norms + 1e-12)).clamp(max=1.0)
    clipped = {name: g * factor.view(-1, *([1] * (g.dim() - 1))) for name, g in grads.items()}
    return clipped, norms


def private_gradient(
    model: nn.Module,
    loss_fn: LossFn,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    *,
    max_norm: float,
    noise_multiplier: float,
    expected_batch_size: float | None = None,
    generator: torch.Generator | None = None,
    groups: torch.Tensor | None = None,
) -> dict[str, torch.Tensor]:
    """The noisy, clipped average gradient of DP-SGD for one lot.

    Parameters
    ----------
    model, loss_fn, inputs, targets
        As in :func:`per_sample_gradients`.
    max_norm : float
        Clipping bound C.
    noise_multiplier : float
        sigma; the noise added to the summed gradient has std ``sigma * C``.
    expected_batch_size : float, optional
        Divisor of the noisy sum (``q N`` under Poisson sampling, as in Abadi et al.;
        with ``groups``, the expected number of *units* in a lot); default: the actual
        number of examples (or of units).
    generator : torch.Generator, optional
        Source of the noise; a CPU generator also works for GPU models (the noise is
        drawn on its device, then moved), which keeps runs reproducible across devices.

    Returns
    -------
    dict of str to torch.Tensor
        Gradient per trainable parameter.
    groups : torch.Tensor, optional
        ``(B,)`` privacy unit (patient) of each example. When given, each unit's
        examples are averaged (:func:`average_by_group`) and the *unit's* gradient is
        clipped: the privacy unit is the patient, not the example.
    """
    if noise_multiplier < 0:
        raise ValueError(f"noise_multiplier must be >= 0, got {noise_multiplier}")
    grads = per_sample_gradients(model, loss_fn, inputs, targets)
    if groups is not None:
        grads = average_by_group(grads, groups)
    n_units = next(iter(grads.values())).shape[0]
    divisor = float(expected_batch_size or n_units)
    clipped, _ = clip_per_sample(grads, max_norm)
    noisy = {}
    for name, g in clipped.items():
        total = g.sum(dim=0)
        if noise_multiplier > 0:
            where = generator.device if generator is not None else total.device
            noise = torch.randn(
                total.shape, generator=generator, device=where, dtype=total.dtype
            ).to(total.device)
            total = total + noise_multiplier * max_norm * noise
        noisy[name] = total / divisor
    return noisy


class DPSGD:
    """Wrap a model and an optimizer so that each step is a DP-SGD step.

    Parameters
    ----------
    model : nn.Module
        Model to train (no cross-example layers such as train-mode BatchNorm).
    optimizer : torch.optim.Optimizer
        Any optimizer over ``model``'s parameters (SGD in Abadi et al.).
    max_norm : float
        Clipping bound C.
    noise_multiplier : float
        sigma (see :func:`course_lib.privacy.noise_for_epsilon`).
    expected_batch_size : float, optional
        ``q N`` for Poisson-sampled lots (``N`` and the lot counted in privacy units
        when :meth:`step` gets ``groups``); default: each lot's actual size.
    generator : torch.Generator, optional
        Noise generator, for reproducible runs.

    Examples
    --------
    >>> model = nn.Linear(3, 1)
    >>> dp = DPSGD(model, torch.optim.SGD(model.parameters(), lr=0.1), max_norm=1.0,
    ...            noise_multiplier=1.1)
    >>> loss = dp.step(torch.randn(8, 3), torch.randn(8, 1), nn.functional.mse_loss)
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer,
        *,
        max_norm: float,
        noise_multiplier: float,
        expected_batch_size: float | None = None,
        generator: torch.Generator | None = None,
    ) -> None:
        if max_norm <= 0:
            raise ValueError(f"max_norm must be > 0, got {max_norm}")
        if noise_multiplier < 0:
            raise ValueError(f"noise_multiplier must be >= 0, got {noise_multiplier}")
        self.model, self.optimizer = model, optimizer
        self.max_norm, self.noise_multiplier = max_norm, noise_multiplier
        self.expected_batch_size, self.generator = expected_batch_size, generator
        self.steps = 0

    def step(
        self,
        inputs: torch.Tensor,
        targets: torch.Tensor,
        loss_fn: LossFn,
        groups: torch.Tensor | None = None,
    ) -> float:
        """One DP-SGD step on a lot; returns the (non-private) mean loss for monitoring.

        ``groups`` (optional, ``(B,)``) names each example's privacy unit (patient):
        see :func:`private_gradient`.
        """
        if inputs.shape[0] == 0:  # empty Poisson lot: no data touched, step skipped
            self.steps += 1
            return float("nan")
        with torch.no_grad():
            loss = float(loss_fn(self.model(inputs), targets))
        gradient = private_gradient(
            self.model,
            loss_fn,
            inputs,
            targets,
            max_norm=self.max_norm,
            noise_multiplier=self.noise_multiplier,
            expected_batch_size=self.expected_batch_size,
            generator=self.generator,
            groups=groups,
        )
        self.optimizer.zero_grad(set_to_none=True)
        for name, param in self.model.named_parameters():
            if name in gradient:
                param.grad = gradient[name].to(param.dtype)
        self.optimizer.step()
        self.steps += 1
        return loss
