"""`AtomDecoder`: a latent code → the positions of every atom of an ensemble.

``x(z) = b + W z + G(z)``: an affine part (started from the principal components of the
conformers, so the first latent axes are the ensemble's largest motions) plus a small
MLP ``G`` (started at zero) for what the affine part cannot say. The deformable model's
``"atoms"`` decoder renders Eq. 1 of ``x(z)``: the field of any latent is exactly the
field of the atoms it decodes to (as in DynaMight's deformed pseudo-atoms).

Positions are in the network frame ``[-1, 1]³`` of the ensemble's box.
"""

from __future__ import annotations

import torch
from torch import nn


class AtomDecoder(nn.Module):
    """``[B, L]`` latents → ``[B, A, 3]`` atom positions (network frame).

    Parameters
    ----------
    latent_dim
        Latent length ``L``.
    n_atoms
        Atoms per conformer ``A``.
    width
        Hidden width of the MLP ``G`` (two hidden layers, SiLU).
    """

    def __init__(self, latent_dim: int, n_atoms: int, width: int) -> None:
        super().__init__()
        self.latent_dim, self.n_atoms = int(latent_dim), int(n_atoms)
        self.linear = nn.Linear(self.latent_dim, 3 * self.n_atoms)
        last = nn.Linear(width, 3 * self.n_atoms)
        with torch.no_grad():
            last.weight.zero_()
            last.bias.zero_()
        self.mlp = nn.Sequential(nn.Linear(self.latent_dim, width), nn.SiLU(),
                                 nn.Linear(width, width), nn.SiLU(), last)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Atom positions ``[B, A, 3]`` of latents ``z`` ``[B, L]``."""
        return (self.linear(z) + self.mlp(z)).view(z.shape[0], self.n_atoms, 3)

    @torch.no_grad()
    def start_from(self, coords: torch.Tensor) -> torch.Tensor:
        """Set the affine part to the principal components of ``coords`` ``[K, A, 3]`` and
        return the matching starting latents ``[K, L]``.

        The latents are the conformers' component scores divided by the first component's
        standard deviation (axis 1 has unit spread, the others less, in order); missing
        components (``L`` > ``K − 1``) start at zero.
        """
        k = coords.shape[0]
        flat = coords.reshape(k, -1)
        mean = flat.mean(0)
        u, s, vt = torch.linalg.svd(flat - mean, full_matrices=False)
        n = min(self.latent_dim, s.shape[0])
        unit = float(s[0]) / max(k, 1) ** 0.5 if float(s[0]) > 0 else 1.0
        weight = torch.zeros(3 * self.n_atoms, self.latent_dim, dtype=flat.dtype,
                             device=flat.device)
        weight[:, :n] = (vt[:n] * unit).T
        self.linear.weight.copy_(weight)
        self.linear.bias.copy_(mean)
        z = torch.zeros(k, self.latent_dim, dtype=flat.dtype, device=flat.device)
        z[:, :n] = u[:, :n] * s[:n] / unit
        return z


__all__ = ["AtomDecoder"]
