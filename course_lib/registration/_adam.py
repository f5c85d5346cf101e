"""A minimal Adam optimiser for the registration loops (private).

``torch.optim.Adam`` works too, but constructing the first ``torch.optim`` optimiser of
a process imports ``torch._dynamo`` (about 3 s on a 2-core CPU), which would dominate
a one-second affine registration. The update is the textbook one.

References
----------
.. [1] Kingma DP, Ba J (2015). Adam: a method for stochastic optimization. ICLR.
   https://arxiv.org/abs/1412.6980
"""
from __future__ import annotations

import torch


class Adam:
    """Adam on a list of leaf tensors: ``step()`` uses their ``.grad`` and clears it.

    Parameters
    ----------
    params : list of torch.Tensor
        Leaf tensors with ``requires_grad=True``.
    lr : float
        Step size (units of the parameters); may be changed between steps.
    betas : tuple of float
        Decay rates of the first and second moment estimates.
    eps : float
        Denominator guard.
    """

    def __init__(self, params, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params = list(params)
        self.lr, self.betas, self.eps = float(lr), betas, eps
        self.m = [torch.zeros_like(p) for p in self.params]
        self.v = [torch.zeros_like(p) for p in self.params]
        self.t = 0

    @torch.no_grad()
    def step(self) -> None:
        """Apply one update to every parameter that has a gradient, then zero it."""
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v):
            if p.grad is None:
                continue
            m.mul_(b1).add_(p.grad, alpha=1 - b1)
            v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
            p.sub_(self.lr * (m / c1) / ((v / c2).sqrt() + self.eps))
            p.grad = None
