"""The item cache: cached grids and near-atom targets equal freshly computed ones, flips
turn inputs and targets together, and a rank's share does not depend on the world size."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from napari_molfield.autoencoder.batches import BatchSampler, ItemCache, Slabs, TrainData
from napari_molfield.autoencoder.config import TrainConfig, ae_configs
from napari_molfield.autoencoder.datasets import load_dataset
from napari_molfield.autoencoder.distributed import DistInfo
from napari_molfield.autoencoder.frames import FRAME_RECIPE, proper_flips
from napari_molfield.autoencoder.inputs import field_inputs, normalised_grids
from napari_molfield.autoencoder.model import AEModel, AutoEncoder
from napari_molfield.fields.sample import sample_points

N, BOX = 16, 16.0


@pytest.fixture(scope="module")
def mols(smi_file, cache_dir):
    """Six of the small molecules with two conformers each."""
    return load_dataset(smi_file, box_edge=BOX, cache_dir=cache_dir, n_conformers=2,
                        limit=6).molecules


def _model(canonical: bool = True) -> AEModel:
    enc, dec = ae_configs("tiny", 9, None, N)
    return AEModel(AutoEncoder(enc, dec), ("H", "C", "N", "O", "F", "P", "S", "Cl", "other"),
                   N, BOX, 2.0, frame=FRAME_RECIPE if canonical else None)


def _sampler(model: AEModel, mols, dist: DistInfo | None = None, **kw) -> BatchSampler:
    cfg = TrainConfig(**{"batch_items": 4, "batch_points": 512, "flip_prob": 1.0,
                         "pool_near": 256, **kw})
    e = torch.zeros(0)
    return BatchSampler(model, TrainData(mols, e, e, e, e), cfg, dist or DistInfo(),
                        torch.device("cpu"))


def _fresh(model: AEModel, mol, conformer: int, signs: np.ndarray):
    """Inputs and normalised grid of one conformer turned by ``diag(signs)``, recomputed."""
    inp = field_inputs([mol], model.channels, model.box_edge, model.beta,
                       canonical=model.canonical, conformers=[conformer],
                       flips=np.diag(signs)[None])
    return inp, normalised_grids(inp, model.resolution, model.beta)[0]


def test_cached_grid_equals_fresh_one_under_every_flip(mols):
    model = _model()
    cache = ItemCache(model, mols, pool_near=64, seed=0)
    for index in (0, 5):
        for conformer in (0, 1):
            item = cache.get(index, conformer)
            assert cache.get(index, conformer) is item  # computed once
            for flip in proper_flips():
                signs = np.diag(flip)
                out = torch.zeros(9, N, N, N)
                item.write(out, signs)
                _, fresh = _fresh(model, mols[index], conformer, signs)
                np.testing.assert_allclose(out.numpy(), fresh, rtol=1e-5, atol=1e-6)
    assert len(cache) == 4
    # crops hold the whole grid and far less than the dense one
    assert cache.nbytes < 4 * (9 * N**3 + 64 * 12) * 4


def test_cached_near_targets_equal_eq1(mols):
    model = _model()
    item = ItemCache(model, mols, pool_near=128, seed=3).get(2, 1)
    inp, _ = _fresh(model, mols[2], 1, np.ones(3))
    table, box, scale = inp.tables[0], inp.boxes[0], inp.scales[0]
    exact = sample_points(table, box.from_unit(item.near_x.numpy().astype(np.float64)),
                          beta=model.beta) / scale.astype(np.float32)
    np.testing.assert_allclose(item.near_y.numpy(), exact, rtol=1e-5, atol=1e-6)
    again = ItemCache(model, mols, pool_near=128, seed=3).build(2, 1)
    torch.testing.assert_close(again.near_x, item.near_x)  # seeded per item


@pytest.mark.parametrize("canonical", [True, False])
def test_batch_inputs_and_targets_turn_together(mols, canonical):
    model = _model(canonical)
    sampler = _sampler(model, mols)
    assert sampler.mode == "cached"
    for step in (0, 1):
        grids, x, y = sampler(step)
        items, conformers, signs = sampler.plan(step)
        if canonical:
            assert (signs.prod(axis=1) == 1).all() and (signs == -1).any()  # always flipped
        else:
            assert (signs == 1).all()  # flips only exist in the canonical frame
        n_near = round(512 * sampler.config.frac_near)
        for j, (i, k, s) in enumerate(zip(items, conformers, signs, strict=True)):
            inp, fresh = _fresh(model, mols[i], k, s) if canonical else (None, None)
            if not canonical:
                inp = field_inputs([mols[i]], model.channels, BOX, 2.0, conformers=[k])
                fresh = normalised_grids(inp, N, 2.0)[0]
            np.testing.assert_allclose(grids[j].numpy(), fresh, rtol=1e-5, atol=1e-6)
            table, box, scale = inp.tables[0], inp.boxes[0], inp.scales[0]
            pts = box.from_unit(x[j].numpy().astype(np.float64))
            exact = sample_points(table, pts, beta=2.0) / scale.astype(np.float32)
            # voxel points carry the grid values (Eq. 1 there), near points exact Eq. 1
            np.testing.assert_allclose(y[j].numpy(), exact, rtol=1e-4, atol=2e-4)
            assert np.abs(y[j, -n_near:].numpy()).max() > 0.1  # near atoms: not empty


def test_rank_shares_do_not_depend_on_the_world_size(mols):
    model = _model()
    whole = _sampler(model, mols)(3)
    parts = [_sampler(model, mols, DistInfo(r, 2, r))(3) for r in (0, 1)]
    for a, b0, b1 in zip(whole, *parts, strict=True):
        torch.testing.assert_close(a, torch.cat([b0, b1]), rtol=0, atol=0)


def test_old_path_draws_the_same_items(mols):
    model = _model()
    new = _sampler(model, mols)
    old = _sampler(model, mols, batch_cache=False)
    assert old.mode == "dynamic"
    for step in (0, 4):
        a, b = new.plan(step), old.plan(step)
        assert (a[0] == b[0]).all() and a[1] == b[1] and (a[2] == b[2]).all()
        torch.testing.assert_close(new(step)[0], old(step)[0], rtol=1e-5, atol=1e-6)
    assert _sampler(model, mols, rotate=True).mode == "dynamic"


def test_slabs_hold_copies_in_few_blocks(monkeypatch):
    monkeypatch.setattr(Slabs, "BLOCK", 100)
    slabs = Slabs()
    rng = np.random.default_rng(0)
    arrays = [rng.random((3, 4, 5))[:, 1:, ::2] for _ in range(6)]  # strided views
    outs = [slabs.put(a) for a in arrays]
    big = slabs.put(np.ones((20, 10)))  # larger than a block: a block of its own
    for a, t in zip(arrays, outs, strict=True):
        np.testing.assert_array_equal(t.numpy(), a.astype(np.float32))
    assert big.shape == (20, 10) and float(big.sum()) == 200.0
    assert len(slabs.blocks) == 3 and slabs.reserved == 4 * (2 * 100 + 200)  # 3 arrays a block


def test_full_cache_computes_new_items_at_each_use(mols):
    model = _model()
    cache = ItemCache(model, mols, pool_near=32, seed=0, max_bytes=1)
    first = cache.get(0, 0)
    second = cache.get(1, 0)
    assert len(cache) == 1 and cache.get(0, 0) is first and cache.get(1, 0) is not second
    torch.testing.assert_close(second.near_y, cache.get(1, 0).near_y)  # same, recomputed
    assert cache.slabs.used_total == sum(v.numel() for _, _, v in first.crops) + 32 * 12
