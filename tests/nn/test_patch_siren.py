"""Local implicit grid: each node draws its own patch, weights blend the 8 around a point,
and the latent-grid encoder lays its cells out in the decoder's node order."""

from __future__ import annotations

import pytest
import torch

from napari_molfield.errors import MolfieldError
from napari_molfield.nn.config import ModelConfig
from napari_molfield.nn.decoders import is_local, make_decoder
from napari_molfield.nn.encoder import ConvEncoder, EncoderConfig
from napari_molfield.nn.fast_eval import FoldedEvaluator, GridEvaluator
from napari_molfield.nn.patch_siren import PatchSiren


def _net(grid: int = 4, features: int = 2) -> PatchSiren:
    torch.manual_seed(0)
    cfg = ModelConfig(out_channels=2, latent_dim=grid**3 * features, width=8, depth=2,
                      w0_first=5.0, modulation="shift")
    net = PatchSiren(cfg, grid)
    with torch.no_grad():
        net.shift.weight.normal_()
    return net


def test_corner_weights_sum_to_one_and_a_node_centre_is_its_own():
    net = _net(grid=4)
    pts = torch.rand(1, 500, 3) * 2 - 1
    flat, offset, w = net.corners_of(pts)
    torch.testing.assert_close(w.sum(-1), torch.ones(1, 500))
    assert flat.min() >= 0 and flat.max() < 4**3
    # node (x=2, y=0, z=1) sits at the centre of its cell: unit coordinate -1 + (2k + 1)/G
    centre = torch.tensor([[[0.25, -0.75, -0.25]]])
    flat, offset, w = net.corners_of(centre)
    k = int(w[0, 0].argmax())
    assert float(w[0, 0, k]) == pytest.approx(1.0)
    assert int(flat[0, 0, k]) == (2 * 4 + 0) * 4 + 1
    torch.testing.assert_close(offset[0, 0, k], torch.zeros(3))


def test_a_code_changes_the_field_only_within_a_cell_of_its_node():
    net = _net(grid=4)
    z = torch.zeros(1, net.config.latent_dim)
    pts = torch.tensor([[[0.25, -0.75, -0.25], [0.5, -0.75, -0.25], [0.75, -0.75, -0.25]]])
    before = net(pts, z)
    z.view(4, 4, 4, 2)[2, 0, 1] = 3.0  # the node at (0.25, -0.75, -0.25)
    after = net(pts, z)
    assert (after[0, 0] - before[0, 0]).abs().max() > 1e-3  # at the node
    assert (after[0, 1] - before[0, 1]).abs().max() > 1e-3  # half a cell away
    torch.testing.assert_close(after[0, 2], before[0, 2])  # at the next node: untouched


def test_evaluators_match_the_network_for_local_decoders():
    net = _net(grid=3)
    assert is_local(net)
    z = torch.randn(1, net.config.latent_dim)
    pts = torch.rand(20000, 3) * 2 - 1
    want = net(pts[None], z)[0]
    torch.testing.assert_close(FoldedEvaluator(net, z).run(pts), want)
    grid = GridEvaluator(net, pts)
    torch.testing.assert_close(grid.rows(slice(100, 900), grid.weights(z)), want[100:900])


def test_the_grid_encoder_lays_cells_out_x_major_like_the_decoder():
    torch.manual_seed(0)
    cfg = EncoderConfig(in_channels=1, latent_dim=8**3 * 3, resolution=32, base=4,
                        levels=2, grid=8)
    enc = ConvEncoder(cfg).eval()
    x = torch.zeros(1, 1, 32, 32, 32)
    with torch.no_grad():
        base = enc(x).view(8, 8, 8, 3)
        x[0, 0, 28:32, 0:4, 8:12] = 1.0  # a blob in cell (x=7, y=0, z=2) only
        moved = (enc(x).view(8, 8, 8, 3) - base).abs().sum(-1)
    peak = torch.tensor(divmod(int(moved.argmax()), 64)[0:1]
                        + divmod(int(moved.argmax()) % 64, 8))
    assert (peak - torch.tensor([7, 0, 2])).abs().max() <= 1, peak
    assert float(moved[0:4].sum()) < 1e-6  # cells far from it along x: untouched


def test_bad_layouts_are_one_clear_error():
    cfg = ModelConfig(out_channels=2, latent_dim=100, width=8, depth=2, modulation="shift")
    with pytest.raises(MolfieldError, match="multiple"):
        make_decoder(cfg, "patch", 4)
    with pytest.raises(MolfieldError, match="layout"):
        make_decoder(cfg, "voxels", 4)
    with pytest.raises(MolfieldError, match="grid"):
        EncoderConfig(in_channels=1, latent_dim=64, resolution=32, levels=2, grid=4)
