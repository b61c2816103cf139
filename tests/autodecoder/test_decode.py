"""Decoding: grids equal pointwise evaluation, sub-boxes, guards, channel checks."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.autodecoder.decode import decode, decode_points, truth_field
from napari_molfield.chem.molecule import Molecule
from napari_molfield.errors import MolfieldError
from napari_molfield.fields.box import Box
from napari_molfield.fields.metrics import psnr


def test_decode_equals_pointwise(tiny_model):
    m = tiny_model
    f = decode(m, 0, 10, chunk_points=77, skip_empty=False)
    pts = m.box(0).grid_points(10)
    pw = decode_points(m, 0, pts)  # [10, 10, 10, C]
    np.testing.assert_allclose(f.values, np.moveaxis(pw, -1, 0), atol=1e-6, rtol=0)
    assert f.origin == pytest.approx(m.box(0).origin(10))
    assert f.spacing == pytest.approx(m.box(0).spacing(10))
    assert f.channels == m.channels and f.meta["normalised"]


def test_sub_box_is_a_tile_of_the_grid(tiny_model):
    m = tiny_model
    full = decode(m, 0, 12)
    tile = decode(m, 0, 12, sub_box=((2, 7), (0, 12), (5, 6)))
    np.testing.assert_allclose(tile.values, full.values[:, 2:7, :, 5:6], atol=1e-6)
    assert tile.origin == pytest.approx(full.origin + full.spacing * np.array([2, 0, 5]))
    t_full = truth_field(m, 0, 12)
    t_tile = truth_field(m, 0, 12, sub_box=((2, 7), (0, 12), (5, 6)))
    np.testing.assert_allclose(t_tile.values, t_full.values[:, 2:7, :, 5:6], atol=1e-5)
    with pytest.raises(MolfieldError, match="sub_box"):
        decode(m, 0, 12, sub_box=((0, 13), (0, 1), (0, 1)))


@pytest.fixture(scope="module")
def two_conformers(water_methanol):
    """Methanol and a copy turned 90° about z and shifted 1.5 Å: two items, one box."""
    from napari_molfield.autodecoder.fit import fit_model

    xyz = water_methanol.coords[0]
    turned = xyz @ np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]).T
    both = Molecule(water_methanol.elements, np.stack([xyz, turned + np.array([1.5, 0.0, 0.0])]),
                    name="two methanols")
    return fit_model(both, channels="C,O,H", resolution=12, preset="tiny", steps=200,
                     seed=0, device="cpu")


def test_a_given_latent_is_decoded_instead_of_the_items(two_conformers):
    m = two_conformers
    assert m.n_items == 2 and m.box(0) == m.box(1)  # conformers share the box
    own = decode(m, 0, 10, skip_empty=False).values
    other = decode(m, 1, 10, skip_empty=False).values
    for z in (m.latent(1), m.latent(1).numpy()):  # a tensor or an array
        swapped = decode(m, 0, 10, latent=z, skip_empty=False).values
        np.testing.assert_allclose(swapped, other, atol=1e-6, rtol=0)
        assert np.abs(swapped - own).max() > 0.3  # not item 0's field (seen: 0.65)
    # the items' fields are each item's own molecule, so the latents carry them (seen:
    # 34.9 and 35.1 dB against their own truth, 24.9 and 24.4 against the other's)
    truth = [truth_field(m, i, 10).values for i in (0, 1)]
    assert psnr(own, truth[0]) > psnr(own, truth[1]) + 3
    assert psnr(other, truth[1]) > psnr(other, truth[0]) + 3


def test_custom_latent_and_region(tiny_model):
    m = tiny_model
    with pytest.raises(MolfieldError, match="latent"):
        decode(m, 0, 6, latent=np.zeros(3))
    b = m.box(0)
    half = Box(b.centre, b.edge / 2)
    f = decode(m, 0, 8, box=half, skip_empty=False)
    pw = decode_points(m, 0, half.grid_points(8))
    np.testing.assert_allclose(f.values, np.moveaxis(pw, -1, 0), atol=1e-6)


def test_huge_resolution_is_refused(tiny_model):
    with pytest.raises(MolfieldError, match="GiB"):
        decode(tiny_model, 0, 20000)


def test_bad_item_and_resolution(tiny_model):
    with pytest.raises(MolfieldError, match="Item 5"):
        decode(tiny_model, 5, 8)
    with pytest.raises(MolfieldError, match="no item named"):
        decode(tiny_model, "benzene", 8)
    with pytest.raises(MolfieldError, match="resolution"):
        decode(tiny_model, 0, 0)


def test_truth_from_molecule_and_mismatches(tiny_model, water_methanol):
    m = tiny_model
    a = truth_field(m, 0, 8, molecule=water_methanol)
    b = truth_field(m, 0, 8)
    np.testing.assert_allclose(a.values, b.values, atol=1e-6)
    with pytest.raises(MolfieldError, match="differ from the model"):
        truth_field(m, 0, 8, channels="C,N,H")
    other = Molecule(["C", "C"], [[0, 0, 0], [1.5, 0, 0]], name="ethane-ish")
    with pytest.raises(MolfieldError, match="does not match"):
        truth_field(m, 0, 8, molecule=other)
