"""What an auto-decoder learns: the targets of its items, from molecules or density maps.

`Targets` is everything the fit loop needs to know about its items — the channels, each
item's `Box` (the network frame), per-channel normalisation scales (targets are values /
scale, so every channel peaks near 1 and PSNR uses MAX = 1), the JSON metadata stored in
the checkpoint, the Eq. 1 inputs when the items are molecules, and how to draw training
points. Molecules give exact Eq. 1 targets anywhere (`fields.pools.build_pools`);
maps give their own voxels, and trilinear samples between them
(`fields.pools.build_map_pools`; zero outside the map).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MolfieldError
from ..fields.box import Box
from ..fields.channels import AtomTable, ChannelSpec
from ..fields.field import Field
from ..fields.pools import PointPools, build_map_pools, build_pools
from .config import FitConfig
from .items import Item, item_meta
from .model import AtomPack

#: Channel name of a single-channel density map fitted by the auto-decoder.
DENSITY = "density"

PoolBuilder = Callable[[int, FitConfig, np.random.Generator], PointPools]


@dataclass(eq=False)
class Targets:
    """The items of one fit (see the module docstring)."""

    channels: tuple[str, ...]
    boxes: list[Box]
    scales: list[np.ndarray]
    metas: list[dict[str, Any]]
    atoms: AtomPack | None
    pools: PoolBuilder

    def __len__(self) -> int:
        return len(self.boxes)


def _pool_sizes(resolution: int, fcfg: FitConfig) -> tuple[int, int]:
    """Uniform and near-density points per item: ``pool_factor × N³`` in all."""
    n_pool = max(1, round(fcfg.pool_factor * resolution**3))
    n_uni = round(n_pool * fcfg.frac_uniform / max(fcfg.frac_uniform + fcfg.frac_near, 1e-9))
    return (n_uni if fcfg.frac_uniform > 0 else 0), ((n_pool - n_uni) if fcfg.frac_near > 0
                                                     else 0)


def molecule_targets(work: list[Item], spec: ChannelSpec, beta: float) -> Targets:
    """Exact Eq. 1 targets of molecule conformers."""
    from ..fields.sample import channel_peaks

    tables: list[AtomTable] = [spec.assign(it.molecule, it.conformer) for it in work]
    scales = [channel_peaks(t, beta) for t in tables]
    boxes = [it.box for it in work]

    def pools(resolution: int, fcfg: FitConfig, rng: np.random.Generator) -> PointPools:
        n_uni, n_near = _pool_sizes(resolution, fcfg)
        return build_pools(tables, boxes, scales, resolution, n_uniform=n_uni, n_near=n_near,
                           near_sigma=fcfg.near_sigma, beta=beta, rng=rng)

    return Targets(spec.names, boxes, scales,
                   [item_meta(it, s) for it, s in zip(work, scales, strict=True)],
                   AtomPack.from_tables(tables), pools)


def map_targets(maps: Sequence[Field], padding: float = 0.0) -> Targets:
    """Targets of density maps: one item per `Field` (e.g. states from a classification).

    Single-channel maps are all called `DENSITY`, so one network fits maps of any file
    name; multi-channel fields must share their channel names. Each map is divided by its
    channel maxima (so MAX = 1); negative values (X-ray maps) stay negative. The item's
    box is the cube around the map's extent, plus ``padding`` Å.
    """
    if not maps:
        raise MolfieldError("Give at least one map to fit.")
    names = [tuple(m.channels) for m in maps]
    channels = (DENSITY,) if all(len(n) == 1 for n in names) else names[0]
    if any(len(n) != len(channels) or (len(n) > 1 and n != channels) for n in names):
        raise MolfieldError("Maps fitted together must have the same channels.")
    boxes, scales, metas = [], [], []
    for i, m in enumerate(maps):
        stats = m.meta.get("stats")
        if isinstance(stats, dict) and all(c in stats for c in m.channels):
            peak = np.array([float(stats[c]["max"]) for c in m.channels])
        else:
            peak = np.array([float(np.max(m.values[c])) for c in range(len(m.channels))])
        if not np.all(np.isfinite(peak)) or (peak <= 0).any():
            raise MolfieldError(f"{m.meta.get('name', f'map {i}')}: a channel has no positive "
                                "density to fit.")
        lo, hi = m.extent
        half = 0.5 * np.asarray(m.voxel_size)
        lo, hi = lo - half - padding, hi + half + padding
        mid = (lo + hi) / 2
        box = Box((float(mid[0]), float(mid[1]), float(mid[2])), float((hi - lo).max()))
        source = m.meta.get("source") or m.meta.get("path")
        name = m.meta.get("name") or (Path(source).name if source else f"map {i}")
        boxes.append(box)
        scales.append(peak.astype(np.float64))
        metas.append({
            "name": str(name), "source": None if source is None else str(source),
            "kind": "map", "molecule": i, "conformer": 0, "conformer_name": str(name),
            "box": box.to_dict(), "scale": [float(s) for s in peak],
            "map_grid": {"origin": [float(v) for v in m.origin],
                         "voxel_size": [float(v) for v in m.voxel_size],
                         "shape": list(m.resolution)},
        })

    def pools(resolution: int, fcfg: FitConfig, rng: np.random.Generator) -> PointPools:
        n_uni, n_near = _pool_sizes(resolution, fcfg)
        return build_map_pools(list(maps), boxes, scales, resolution, n_uniform=n_uni,
                               n_near=n_near, near_sigma=fcfg.near_sigma, rng=rng)

    return Targets(channels, boxes, scales, metas, None, pools)


__all__ = ["DENSITY", "Targets", "map_targets", "molecule_targets"]
