"""Every model kind implements one protocol, and `models` dispatches on it alone."""

from __future__ import annotations

import numpy as np
import pytest

import napari_molfield as mf
from napari_molfield import models
from napari_molfield.errors import MolfieldError
from napari_molfield.models.protocol import conforms


def test_every_kind_implements_the_protocol_and_names_its_kind(every_kind):
    for kind, model in every_kind.items():
        assert conforms(model), kind
        assert models.kind_of(model) == kind
        assert len(model.item_names) == model.n_items > 0
        assert model.item_index(model.item_names[-1]) == model.n_items - 1
        assert model.latent(0).shape == (model.latent_dim,)
        assert models.latents(model).shape == (model.n_items, model.latent_dim)
        box = model.box(0)
        assert box.edge > 0 and len(box.centre) == 3
        assert kind in models.describe(model)


def test_a_foreign_object_is_one_sentence():
    with pytest.raises(MolfieldError, match="not a napari-molfield model"):
        models.kind_of(np.zeros(3))
    with pytest.raises(MolfieldError):
        models.decode("model.safetensors", 0, 8)


@pytest.mark.parametrize("kind", ["auto-decoder", "deformable", "auto-encoder"])
def test_a_sub_box_is_a_tile_of_the_whole_grid(every_kind, kind):
    """The same options for every kind: a sub-box decode equals that part of the grid."""
    model = every_kind[kind]
    n, tile = 12, ((2, 9), (0, 12), (5, 12))
    whole = models.decode(model, 0, n, skip_empty=False).values
    part = models.decode(model, 0, n, sub_box=tile, skip_empty=False)
    (a, b), (c, d), (e, f) = tile
    np.testing.assert_allclose(part.values, whole[:, a:b, c:d, e:f], rtol=1e-5, atol=1e-6)
    h = model.box(0).spacing(n)
    np.testing.assert_allclose(part.origin, model.box(0).origin(n) + h * np.array([a, c, e]))


@pytest.mark.parametrize("kind", ["auto-decoder", "deformable", "auto-encoder"])
def test_a_latent_decodes_in_place_of_the_item(every_kind, kind):
    """``latent=`` is used: item 1's latent in item 0's frame gives item 1's field (every
    item of these models shares one box), and not item 0's."""
    model = every_kind[kind]
    n = 10
    own = models.decode(model, 1, n, skip_empty=False).values
    other = models.decode(model, 0, n, skip_empty=False).values
    swapped = models.decode(model, 0, n, latent=models.latents(model)[1],
                            skip_empty=False).values
    if model.box(0) == model.box(1):
        np.testing.assert_allclose(swapped, own, rtol=1e-5, atol=1e-6)
    assert np.abs(swapped - other).max() > 1e-3


@pytest.mark.parametrize("kind", ["auto-decoder", "deformable"])
def test_the_truth_of_a_sub_box_is_that_part_of_the_truth(every_kind, kind):
    model = every_kind[kind]
    whole = models.truth(model, 0, 12).values
    part = models.truth(model, 0, 12, sub_box=((0, 6), (3, 9), (0, 12))).values
    np.testing.assert_allclose(part, whole[:, 0:6, 3:9, :], rtol=1e-5, atol=1e-7)


def test_an_autoencoder_has_no_stored_truth(shipped_ae):
    with pytest.raises(MolfieldError, match="stores no atoms"):
        models.truth(shipped_ae, 0, 8)


def test_save_and_load_give_back_each_kind(tiny_model, moving_model, tmp_path):
    for model in (tiny_model, moving_model):
        path = models.save(model, tmp_path / f"{models.kind_of(model)}.safetensors")
        assert models.checkpoint_kind(path) == models.kind_of(model)
        back = mf.load(path)
        assert models.kind_of(back) == models.kind_of(model)
        np.testing.assert_array_equal(models.latents(back), models.latents(model))
        # the older name loads every kind too (a notebook fitting an MD ensemble)
        assert models.kind_of(mf.load_model(path)) == models.kind_of(model)
    assert models.kind_of(mf.load("default")) == models.AUTOENCODER


def test_load_names_what_is_wrong(tmp_path):
    with pytest.raises(MolfieldError, match="no such checkpoint"):
        models.load(tmp_path / "missing.safetensors")
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(MolfieldError):
        models.load(bad)


def test_the_automatic_choice_is_one_rule(water_methanol, moving):
    assert models.choose_kind([water_methanol]) == models.AUTODECODER
    assert models.choose_kind(water_methanol) == models.AUTODECODER
    assert models.choose_kind([moving]) == models.DEFORMABLE  # two conformers, same atoms
    assert models.choose_kind([moving], "siren") == models.AUTODECODER
    with pytest.raises(MolfieldError, match="two conformers"):
        models.choose_kind([water_methanol], "deform")


def test_encode_takes_one_smiles_as_one_molecule(shipped_ae):
    one = mf.encode(shipped_ae, "CCO")
    assert one.shape == (1, shipped_ae.latent_dim)
    two = mf.encode(shipped_ae, ["CCO", "c1ccccc1O"])
    assert two.shape == (2, shipped_ae.latent_dim)
    np.testing.assert_allclose(two[0], one[0], rtol=1e-5, atol=1e-6)


def test_deformable_atoms_follow_the_conformer(moving, moving_model):
    """A deformable model's atoms are carried by its displacement: conformer 1's atoms land
    on conformer 1 (moved 4 Å and turned 30° from conformer 0), not on the template."""
    got = models.atoms(moving_model, 1, 16)
    truth = moving.coords[1]
    err = np.linalg.norm(got.coords - truth, axis=1)
    moved = np.linalg.norm(moving.coords[0] - truth, axis=1)
    assert err.max() < 0.5 * moved.min(), (err, moved)
    assert list(got.elements) == list(moving.elements)
    assert np.isfinite(got.residual)
