"""`ModulatedSiren`: one SIREN shared by many items, each steered by its latent code."""

from __future__ import annotations

import math
from typing import cast

import torch
from torch import nn

from .config import ModelConfig


class ModulatedSiren(nn.Module):
    """A SIREN whose sine layers are modulated per item by a latent code.

    Layer ``i`` computes ``s_i = sin(w0_i (W_i h_{i-1} + b_i + shift_i(z)))`` and passes on
    ``h_i = amp_i(z) ⊙ s_i``. With ``modulation="mehta"`` the amplitudes come from a ReLU
    modulator network fed with the latent (and its own previous layer), and shifts are 0;
    with ``"shift"`` a linear map of the latent gives the shifts, and amplitudes are 1.
    The output is a linear layer (plus an optional activation) with ``C`` channels.

    Coordinates are given at call time, in the network frame ``[-1, 1]³``. Modulations
    depend on the latent only: :meth:`modulations` computes them once and
    :meth:`forward_modulated` reuses them for any number of point chunks.

    Parameters
    ----------
    config
        Layer sizes, frequencies and modulation type.
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        dims = [c.in_dim] + [c.width] * c.depth
        self.layers = nn.ModuleList(nn.Linear(dims[i], dims[i + 1]) for i in range(c.depth))
        self.out = nn.Linear(c.width, c.out_channels)
        if c.modulation == "mehta":
            self.modulator = nn.ModuleList(
                nn.Linear(c.latent_dim + (c.width if i else 0), c.width) for i in range(c.depth)
            )
        else:
            self.shift = nn.Linear(c.latent_dim, c.depth * c.width)
        self.reset_parameters()

    @property
    def sine_layers(self) -> list[nn.Linear]:
        """The sine layers (`layers`), typed as the `nn.Linear` they are."""
        return cast("list[nn.Linear]", list(self.layers))

    @property
    def modulator_layers(self) -> list[nn.Linear]:
        """The ReLU modulator layers (`modulator`, ``"mehta"`` only), typed."""
        return cast("list[nn.Linear]", list(self.modulator))

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """SIREN initialisation; modulations start neutral (amplitude 1, shift 0)."""
        c = self.config
        init_siren(self.sine_layers, self.out, c)
        if c.modulation == "mehta":
            for lin in self.modulator_layers:
                bound = 0.1 / math.sqrt(lin.in_features)
                lin.weight.uniform_(-bound, bound)
                lin.bias.fill_(1.0)
        else:
            self.shift.weight.zero_()
            self.shift.bias.zero_()

    def modulations(self, latents: torch.Tensor) -> torch.Tensor:
        """Per-layer modulations ``[B, depth, width]`` of ``latents`` ``[B, L]``.

        Amplitudes for ``"mehta"``, phase shifts for ``"shift"``.
        """
        c = self.config
        if c.modulation == "shift":
            return self.shift(latents).view(-1, c.depth, c.width)
        amps = []
        g: torch.Tensor | None = None  # the previous layer's output; None at layer 0
        for lin in self.modulator_layers:
            inp = latents if g is None else torch.cat([g, latents], dim=-1)
            g = torch.relu(lin(inp))
            amps.append(g)
        return torch.stack(amps, dim=1)

    def folded(self, mods: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per-layer ``(weight [B', out, in], bias [B', out])`` with the frequency factors
        and the modulations ``mods`` (`modulations`, ``[B, depth, width]``) folded in;
        ``B' = 1`` where a layer does not depend on the latent. The last pair is the
        linear output layer.
        """
        c = self.config
        mehta = c.modulation == "mehta"
        out = []
        for i, lin in enumerate(self.sine_layers):
            w0 = c.w0_first if i == 0 else c.w0_hidden
            weight = (w0 * lin.weight).unsqueeze(0)  # [1, out, in]
            if mehta and i > 0:
                weight = weight * mods[:, i - 1, None, :]  # amp of the previous layer
            bias = (w0 * lin.bias).unsqueeze(0)
            if not mehta:
                bias = bias + w0 * mods[:, i, :]
            out.append((weight, bias))
        weight = self.out.weight.unsqueeze(0)
        if mehta:
            weight = weight * mods[:, -1, None, :]
        out.append((weight, self.out.bias.unsqueeze(0)))
        return out

    def activate(self, y: torch.Tensor) -> torch.Tensor:
        """The output activation of the config."""
        return activate(self.config, y)

    def forward_modulated(self, coords: torch.Tensor, mods: torch.Tensor) -> torch.Tensor:
        """Field values ``[B, P, C]`` at ``coords`` ``[B, P, 3]`` given :meth:`modulations`.

        The frequency factors and the amplitudes are folded into per-item weight matrices
        (`folded`: ``B × width²`` work) so the ``B × P`` activations see one batched
        matmul and one sine per layer.
        """
        layers = self.folded(mods)
        h = coords
        for weight, bias in layers[:-1]:
            h = torch.sin(_linear(h, weight, bias))
        weight, bias = layers[-1]
        return self.activate(_linear(h, weight, bias))

    def forward(self, coords: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        """Field values ``[B, P, C]`` at ``coords`` ``[B, P, 3]`` for ``latents`` ``[B, L]``."""
        return self.forward_modulated(coords, self.modulations(latents))


@torch.no_grad()
def init_siren(sine_layers: list[nn.Linear], out: nn.Linear, c: ModelConfig) -> None:
    """SIREN initialisation (Sitzmann et al. 2020) of the sine layers and the output."""
    first = sine_layers[0]
    first.weight.uniform_(-1 / c.in_dim, 1 / c.in_dim)
    first.bias.uniform_(-1 / c.in_dim, 1 / c.in_dim)
    for lin in [*sine_layers[1:], out]:
        bound = math.sqrt(6 / lin.in_features) / c.w0_hidden
        lin.weight.uniform_(-bound, bound)
        lin.bias.uniform_(-bound, bound)


def activate(c: ModelConfig, y: torch.Tensor) -> torch.Tensor:
    """The output activation ``c.output_activation`` of ``y``."""
    if c.output_activation == "relu":
        return torch.relu(y)
    if c.output_activation == "softplus":
        return nn.functional.softplus(y)
    return y


def _linear(h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """``h @ weight[b].T + bias[b]`` for ``h`` ``[B, P, in]``, ``weight`` ``[1 or B, out, in]``.

    Shared weights (and ``B = 1``) take one ``[B·P, in]`` matmul, much faster on CPU than
    a batched matmul.
    """
    b, p, _ = h.shape
    if weight.shape[0] == 1 and bias.shape[0] == 1:
        return nn.functional.linear(h.reshape(b * p, -1), weight[0], bias[0]).view(b, p, -1)
    weight = weight.expand(b, -1, -1)
    bias = bias.expand(b, -1)
    return torch.baddbmm(bias[:, None, :], h, weight.transpose(1, 2))


__all__ = ["ModulatedSiren", "activate", "init_siren"]
