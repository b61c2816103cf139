"""Local latents: shifts interpolated from the right grid node, in the right axis order."""

from __future__ import annotations

import torch

from napari_molfield.nn.config import ModelConfig
from napari_molfield.nn.local_siren import LocalSiren


def _net(grid: int = 3, features: int = 2) -> LocalSiren:
    cfg = ModelConfig(out_channels=2, latent_dim=grid**3 * features, width=8, depth=2,
                      modulation="shift")
    net = LocalSiren(cfg, grid)
    with torch.no_grad():
        net.shift.weight.normal_()
        net.shift.bias.zero_()
    return net


def test_the_shift_at_a_node_is_that_nodes_and_halfway_is_the_mean():
    net = _net()
    z = torch.zeros(1, net.config.latent_dim)
    grid = net.latent_grid(z)  # a view: [1, x, y, z, F]
    grid[0, 2, 0, 1] = torch.tensor([1.0, -2.0])  # the node at x = +1, y = -1, z = 0
    mods = net.modulations(z)
    node = torch.tensor([[[1.0, -1.0, 0.0]]])
    want = net.shift(torch.tensor([1.0, -2.0])).view(2, 8)
    torch.testing.assert_close(net.point_shifts(node, mods)[0, 0], want)
    # the same spot with x and z swapped is another node: all zero there
    swapped = torch.tensor([[[0.0, -1.0, 1.0]]])
    assert net.point_shifts(swapped, mods).abs().max() < 1e-6
    half = torch.tensor([[[0.5, -1.0, 0.0]]])  # half-way to the x = 0 node (zero)
    torch.testing.assert_close(net.point_shifts(half, mods)[0, 0], 0.5 * want)


def test_values_depend_on_the_local_code_only_near_it():
    torch.manual_seed(0)
    net = _net(grid=4)
    z = torch.zeros(1, net.config.latent_dim)
    pts = torch.tensor([[[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]]])
    before = net(pts, z)
    net.latent_grid(z)[0, 3, 3, 3] = 1.0  # only the corner node at (+1, +1, +1)
    after = net(pts, z)
    torch.testing.assert_close(after[0, 0], before[0, 0])  # the far corner: unchanged
    assert (after[0, 1] - before[0, 1]).abs().max() > 1e-4


def test_latents_get_gradients():
    net = _net()
    z = torch.zeros(2, net.config.latent_dim, requires_grad=True)
    net(torch.rand(2, 16, 3) * 2 - 1, z).pow(2).sum().backward()
    assert z.grad is not None and z.grad.abs().sum() > 0
