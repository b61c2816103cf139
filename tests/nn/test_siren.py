"""The modulated SIREN: shapes, initialisation, cached modulations."""

from __future__ import annotations

import math

import pytest
import torch

from napari_molfield.nn.config import ModelConfig
from napari_molfield.nn.siren import ModulatedSiren


@pytest.mark.parametrize("modulation", ["mehta", "shift"])
def test_shapes_and_cached_modulations(modulation):
    torch.manual_seed(0)
    cfg = ModelConfig(out_channels=4, latent_dim=5, width=16, depth=3, modulation=modulation)
    net = ModulatedSiren(cfg)
    z = torch.randn(2, 5)
    x = torch.rand(2, 7, 3) * 2 - 1
    y = net(x, z)
    assert y.shape == (2, 7, 4)
    mods = net.modulations(z)
    assert mods.shape == (2, 3, 16)
    torch.testing.assert_close(net.forward_modulated(x, mods), y)
    # items are independent: item 1 alone gives the same values
    torch.testing.assert_close(net(x[1:], z[1:]), y[1:], atol=1e-6, rtol=1e-5)
    y.sum().backward()
    assert all(p.grad is not None for p in net.parameters())


def test_siren_initialisation():
    cfg = ModelConfig(width=64, depth=3, w0_hidden=30.0)
    net = ModulatedSiren(cfg)
    assert net.layers[0].weight.abs().max() <= 1 / 3
    bound = math.sqrt(6 / 64) / 30
    assert net.layers[1].weight.abs().max() <= bound
    # neutral modulations at a zero latent
    amps = net.modulations(torch.zeros(1, cfg.latent_dim))
    torch.testing.assert_close(amps, torch.ones_like(amps), atol=0.2, rtol=0)
