"""Which channels give atoms, the atom count from the integral, and the local maxima."""

from __future__ import annotations

import math

import numpy as np
import pytest

from napari_molfield import MolfieldError
from napari_molfield.atoms import atom_integral, count_channel, element_channels
from napari_molfield.atoms.channels import ElementChannel
from napari_molfield.atoms.peaks import local_maxima, peak_positions
from napari_molfield.fields.box import Box
from napari_molfield.fields.channels import AtomTable
from napari_molfield.fields.sample import sample_table

from .conftest import exact_field


def test_element_channels_parse_symbols_groups_parts_and_skip_the_rest():
    chans, notes = element_channels(
        ["C", "ligand:N", "Cl+Br", "other", "ws_density", "en", "all", "protein:O"]
    )
    assert [(c.index, c.element) for c in chans] == [(0, "C"), (1, "N"), (2, "Cl"), (7, "O")]
    assert chans[1].name == "ligand:N"
    assert chans[2].radius == pytest.approx(1.8)
    text = " ".join(notes)
    assert "'Cl+Br' mixes Cl, Br: its atoms were called Cl" in text
    for skipped in ("'other'", "'ws_density'", "'en'", "'all'"):
        assert skipped in text
    assert len(notes) == 5


def test_element_channels_reject_unknown_names():
    with pytest.raises(MolfieldError, match="cannot be read"):
        element_channels(["C", "Xq"])


def test_atom_integral_matches_a_sampled_atom():
    table = AtomTable(np.zeros((1, 3)), np.array([1.7]), np.array([0], np.int32),
                      np.array([1.0]), ("C",))
    box = Box((0.1, -0.2, 0.05), 16.0)
    grid = sample_table(table, box, 64, beta=2.0, tol=1e-9)
    numeric = grid.sum(dtype=np.float64) * box.spacing(64) ** 3
    assert numeric == pytest.approx(atom_integral(1.7, 2.0), rel=1e-5)
    assert atom_integral(1.7, 2.0) == pytest.approx(math.exp(2) * (math.pi * 1.7**2 / 2) ** 1.5)
    assert atom_integral(1.2, 3.0, weight=2.5) == pytest.approx(
        2.5 * math.exp(3) * (math.pi * 1.44 / 3) ** 1.5)


def test_counts_of_an_exact_field_are_the_element_counts(caffeine, caffeine_field):
    chans, _ = element_channels(caffeine_field.channels)
    for ch in chans:
        cc = count_channel(caffeine_field.values[ch.index], caffeine_field.spacing, ch, 2.0, 1.0)
        true = int((caffeine.elements == ch.element).sum())
        assert cc.estimate == pytest.approx(true, abs=0.01)
        assert cc.count == true
        assert 1 <= cc.peaks <= true  # bonded carbons share maxima


def test_count_divides_out_the_normalisation_scale(caffeine_field):
    c = caffeine_field.channels.index("C")
    ch = ElementChannel(c, "C", "C", 1.7)
    grid = caffeine_field.values[c]
    cc = count_channel(grid / 11.6, caffeine_field.spacing, ch, 2.0, 11.6)
    assert cc.count == 8


def test_noisy_channel_cannot_be_counted(caffeine_field):
    c = caffeine_field.channels.index("C")
    ch = ElementChannel(c, "C", "C", 1.7)
    rng = np.random.default_rng(0)
    grid = caffeine_field.values[c] + rng.normal(0, 2.0, caffeine_field.values[c].shape)
    with pytest.raises(MolfieldError, match="too noisy to count"):
        count_channel(grid, caffeine_field.spacing, ch, 2.0, 1.0)
    spiky = caffeine_field.values[c].copy()
    spiky[::4, ::4, ::4] += 20.0 * rng.random(spiky[::4, ::4, ::4].shape)
    spiky[1::4, 1::4, 1::4] -= 1.0
    with pytest.raises(MolfieldError, match="maxima for about"):
        count_channel(spiky, caffeine_field.spacing, ch, 2.0, 1.0)


def test_local_maxima_and_subvoxel_position_of_isolated_atoms():
    xyz = np.array([[0.13, -0.21, 0.37], [4.0, 0.0, 0.0]])
    table = AtomTable(xyz, np.array([1.55, 1.2]), np.array([0, 0], np.int32),
                      np.ones(2), ("O",))
    box = Box((2.0, 0.0, 0.0), 14.0)
    grid = sample_table(table, box, 40, beta=2.0, tol=1e-9)[0]
    ijk, vals = local_maxima(grid, 0.5)
    assert len(ijk) == 2 and vals[0] >= vals[1]
    pos, _ = peak_positions(grid, box.origin(40), box.spacing(40), 0.5)
    # a parabola through the log of a Gaussian is exact for an isolated atom
    assert np.abs(np.sort(pos, axis=0) - np.sort(xyz, axis=0)).max() < 2e-3


def test_two_bonded_carbons_make_one_peak():
    xyz = np.array([[0.0, 0.0, 0.0], [1.54, 0.0, 0.0]])
    table = AtomTable(xyz, np.full(2, 1.7), np.zeros(2, np.int32), np.ones(2), ("C",))
    field_grid = sample_table(table, Box((0.77, 0, 0), 12.0), 48)[0]
    assert len(local_maxima(field_grid, 1.0)[0]) == 1


def test_exact_field_has_integral_counts_at_64(caffeine):
    field = exact_field(caffeine, 64)
    chans, _ = element_channels(field.channels)
    est = [count_channel(field.values[c.index], field.spacing, c, 2.0, 1.0).estimate
           for c in chans]
    assert np.allclose(est, np.round(est), atol=0.01)
