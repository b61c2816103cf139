"""The latent landscape (`landscape`): maps of any latents and the ways through them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from napari_molfield.errors import MolfieldError
from napari_molfield.landscape.embedding import latent_map, pca_embedding, umap_available
from napari_molfield.landscape.navigation import (
    graph_path,
    latents_at,
    representatives,
    straight_line,
)
from napari_molfield.landscape.properties import property_label, property_order


def _arc(n: int = 60, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Latents along a half circle of radius 5, shuffled; and the shuffle."""
    angle = np.linspace(0, np.pi, n)
    z = np.zeros((n, 6))
    z[:, 0], z[:, 1] = 5 * np.cos(angle), 5 * np.sin(angle)
    order = np.random.default_rng(seed).permutation(n)
    return z[order], order


def test_pca_projects_new_latents_like_the_dataset():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(50, 8)) * np.array([5, 2, 1, 1, 1, 1, 1, 1])
    emb = pca_embedding(z)
    np.testing.assert_allclose(emb.project(z[3]), emb.xy[3:4])
    assert emb.xy[:, 0].var() > emb.xy[:, 1].var() > 0
    assert emb.axis_labels[0].startswith("PC1") and emb.method == "PCA"
    # the first axis is the direction of largest variance (x0, scaled by 5)
    assert abs(np.corrcoef(emb.xy[:, 0], z[:, 0])[0, 1]) > 0.9


def test_latent_map_takes_any_latents_and_says_what_is_wrong():
    import torch

    z = torch.randn(10, 4, requires_grad=True)  # e.g. an auto-decoder's latents
    emb = latent_map(z, method="PCA")
    assert emb.xy.shape == (10, 2) and emb.latents.shape == (10, 4)
    one_dim = latent_map(np.arange(5.0)[:, None])  # one latent dimension: padded
    assert one_dim.xy.shape == (5, 2) and not one_dim.xy[:, 1].any()
    with pytest.raises(MolfieldError, match="use pca or umap"):
        latent_map(z, method="tsne")
    for bad in (np.zeros(4), np.zeros((1, 4)), np.full((3, 2), np.nan)):
        with pytest.raises(MolfieldError, match="M ≥ 2"):
            latent_map(bad)
    if not umap_available():
        with pytest.raises(MolfieldError, match="umap-learn"):
            latent_map(z, method="umap")


def test_graph_path_stays_on_the_data_and_is_connected():
    z, order = _arc()
    start, end = int(np.flatnonzero(order == 0)[0]), int(np.flatnonzero(order == 59)[0])
    path = graph_path(z, start, end, k=4)
    assert path[0] == start and path[-1] == end and len(set(path)) == len(path)
    steps = np.diff(order[path])
    assert (steps > 0).all() and steps.max() <= 4  # forward along the arc, small steps
    walked = np.linalg.norm(np.diff(z[path], axis=0), axis=1).sum()
    assert 14.5 < walked < 5 * np.pi + 1e-6  # the arc (15.7), not the chord (10)
    assert graph_path(z, start, start) == [start]
    # two far-apart clusters are not connected on a 2-neighbour graph
    blobs = np.vstack([np.random.default_rng(1).normal(0, 0.1, (5, 3)),
                       np.random.default_rng(2).normal(0, 0.1, (5, 3)) + 50])
    with pytest.raises(MolfieldError, match="No path between items 0 and 7"):
        graph_path(blobs, 0, 7, k=2)
    with pytest.raises(MolfieldError, match="between 0 and 9"):
        graph_path(blobs, 0, 10)


def test_straight_line_latents_at_and_representatives():
    z, order = _arc()
    start, end = int(np.flatnonzero(order == 0)[0]), int(np.flatnonzero(order == 59)[0])
    line = straight_line(z[start], z[end], 5)
    assert line.shape == (5, 6)
    np.testing.assert_allclose(line[[0, -1]], z[[start, end]], atol=1e-6)
    assert np.abs(line[:, 1]).max() < 1e-6  # the straight line cuts across
    rng = np.random.default_rng(0)
    blobs = np.vstack([rng.normal(0, 0.3, (40, 6)), rng.normal(0, 0.3, (20, 6)) + 8])
    reps = representatives(blobs, 2, seed=0)
    assert reps[0] < 40 <= reps[1]  # one per blob, the larger cluster first
    assert sorted(representatives(blobs[:3], 10)) == [0, 1, 2]  # at most one per item
    xy = z[:, :2] * [1.0, -1.0]  # a map of the latents
    np.testing.assert_allclose(latents_at(xy[[5]], xy, z)[0], z[5], atol=1e-5)
    mid = latents_at([[0.0, -5.2]], xy, z)[0]  # near the top of the arc
    assert abs(mid[0]) < 0.5 and 4.5 < mid[1] < 5.1
    with pytest.raises(MolfieldError, match="one map point per latent"):
        latents_at([[0.0, 0.0]], xy[:10], z)


def test_embedding_navigates_its_own_latents():
    z, order = _arc()
    emb = latent_map(z)
    start, end = int(np.flatnonzero(order == 0)[0]), int(np.flatnonzero(order == 59)[0])
    assert emb.graph_path(start, end, k=4) == graph_path(z, start, end, k=4)
    np.testing.assert_allclose(emb.latents_at(emb.xy[[7]])[0], z[7], atol=1e-5)
    assert emb.representatives(3) == representatives(z, 3)


def test_properties_come_in_a_useful_order():
    props = {"zeta": 1, "TPSA": 2, "dG_hyd": 3, "alpha": 4}
    assert property_order(props) == ["dG_hyd", "TPSA", "alpha", "zeta"]
    assert property_label("TPSA") == "TPSA (Å²)" and property_label("zeta") == "zeta"


def test_the_landscape_imports_neither_torch_nor_qt():
    code = ("import sys, numpy as np, napari_molfield as mf\n"
            "e = mf.latent_map(np.random.default_rng(0).normal(size=(20, 3)))\n"
            "e.graph_path(0, 5); e.representatives(2)\n"
            "print(type(e).__name__, 'torch' in sys.modules, 'qtpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=300)
    assert out.stdout.split() == ["Embedding", "False", "False"]
