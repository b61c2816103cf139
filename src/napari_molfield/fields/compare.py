"""A map and a model together: Eq. 1 on a map's grid, and how well they agree.

`model_on_grid` samples a molecule's Eq. 1 channels at the voxel centres of any field
(anisotropic, non-cubic grids included) with `fields.sample.sample_points`, so a model
and a map can be compared voxel by voxel.

`fit_metrics` reports what ChimeraX's ``fitmap`` reports:

- over the grid points where the model is at least ``model_level`` (the model's
  envelope; by default 1, the van der Waals surface of Eq. 1, where every term equals its
  weight), with ``u`` the model and ``v`` the map there:

  * overlap ``Σ u·v``,
  * correlation ``Σ u·v / (|u| |v|)``,
  * correlation about mean ``Σ (u−ū)(v−v̄) / (|u−ū| |v−v̄|)``;

- the map interpolated at the atom centres: their mean value and the fraction of atoms
  inside the map's contour ``map_level`` (default ``mean + 1 σ`` of the map).

The map is cropped (a view) to the atoms plus ``padding`` Å first, so a small model
against a large cryo-EM map costs only the voxels around it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ..chem.molecule import Molecule
from ..errors import MolfieldError
from .channels import AtomTable, ChannelSpec
from .field import Field
from .interp import sample_grid
from .limits import check_memory, grid_bytes
from .maps import crop, sigma_level

#: Default model envelope: Eq. 1 equals an atom's weight on its van der Waals sphere.
MODEL_LEVEL = 1.0
#: Default padding (Å) around the atoms when cropping the map.
PADDING = 6.0


@dataclass(frozen=True)
class MapModelFit:
    """Agreement of a map and a model (ChimeraX ``fitmap`` quantities).

    Attributes
    ----------
    correlation, correlation_about_mean, overlap
        Over the ``n_points`` voxels inside the model envelope (NaN when it is empty).
    map_level, model_level
        The map's contour and the model's envelope level.
    n_atoms, atoms_inside
        Atoms compared and the fraction whose map value is at least ``map_level``.
    mean_map_value_at_atoms
        Average interpolated map value at the atom centres.
    """

    correlation: float
    correlation_about_mean: float
    overlap: float
    n_points: int
    map_level: float
    model_level: float
    n_atoms: int
    atoms_inside: float
    mean_map_value_at_atoms: float

    def to_dict(self) -> dict[str, float | int]:
        """JSON-friendly form."""
        return asdict(self)

    def summary(self) -> str:
        """One line, as ChimeraX words it."""
        outside = round(self.n_atoms * (1 - self.atoms_inside)) if self.n_atoms else 0
        return (
            f"correlation = {self.correlation:.4f}, correlation about mean = "
            f"{self.correlation_about_mean:.4f}, overlap = {self.overlap:.4g} "
            f"({self.n_points} points); average map value {self.mean_map_value_at_atoms:.4g}, "
            f"{outside} of {self.n_atoms} atoms outside contour = {self.map_level:.4g}"
        )


def model_on_grid(
    model: Molecule | AtomTable,
    grid: Field,
    channels: str | list[str] | ChannelSpec | None = "all",
    *,
    beta: float | None = None,
    tol: float | None = None,
    conformer: int = 0,
) -> Field:
    """Eq. 1 of ``model`` at the voxel centres of ``grid`` (same origin, voxels, shape).

    Parameters
    ----------
    model
        A `Molecule` (its ``conformer`` is assigned to ``channels``) or an `AtomTable`.
    grid
        The field whose grid is used (e.g. a map from `fields.maps.read_map`).
    channels
        Channel names (see `ChannelSpec.parse`); default one ``all`` channel, the total
        density to compare with an experimental map. Ignored for an `AtomTable`.
    beta, tol
        As in `fields.sample.sample_field` (default β: `fields.sample.DEFAULT_BETA`).

    Returns
    -------
    Field
        ``[C, X, Y, Z]`` on ``grid``'s grid; ``meta`` holds ``beta`` and ``channels``.
    """
    from .sample import DEFAULT_BETA, sample_points

    beta = DEFAULT_BETA if beta is None else float(beta)
    table = _table(model, channels, conformer)
    check_memory(grid_bytes(table.n_channels, grid.resolution),
                 f"A {table.n_channels}-channel model on the {grid.resolution} grid",
                 "crop the map first (fields.maps.crop)")
    nx, ny, nz = grid.resolution
    out = np.empty((table.n_channels, nx, ny, nz), np.float32)
    axes = [grid.origin[d] + grid.voxel_size[d] * np.arange(n)
            for d, n in enumerate(grid.resolution)]
    yy, zz = np.meshgrid(axes[1], axes[2], indexing="ij")
    slab = max(1, int(4e6 // max(ny * nz, 1)))
    for i in range(0, nx, slab):
        xs = axes[0][i: i + slab]
        pts = np.empty((len(xs), ny, nz, 3))
        pts[..., 0] = xs[:, None, None]
        pts[..., 1] = yy
        pts[..., 2] = zz
        vals = sample_points(table, pts, beta=beta, tol=tol)
        out[:, i: i + len(xs)] = np.moveaxis(vals, -1, 0)
    meta = {"beta": beta, "channels": list(table.channels),
            "name": getattr(model, "name", "model"), "source": getattr(model, "source", None)}
    return Field(out, grid.origin, grid.voxel_size, table.channels, None, meta)


def fit_metrics(
    map_field: Field,
    model: Molecule | AtomTable | Field,
    *,
    atoms: np.ndarray | None = None,
    map_level: float | None = None,
    model_level: float = MODEL_LEVEL,
    channel: int | str = 0,
    model_channel: int | str = 0,
    beta: float | None = None,
    conformer: int = 0,
    padding: float = PADDING,
) -> MapModelFit:
    """ChimeraX-style agreement of one map channel with a model.

    Parameters
    ----------
    map_field
        The map (`fields.maps.read_map`).
    model
        A `Molecule` or `AtomTable` (sampled with `model_on_grid`, one ``all`` channel),
        or a `Field` on the same grid as ``map_field`` (e.g. a decoded neural field,
        compared over the whole grid).
    atoms
        ``[A, 3]`` Å atom centres for the inside-contour count; default the molecule's
        (required for that count when ``model`` is a `Field`, else it is NaN).
    map_level
        The map's contour; default ``mean + 1 σ``.
    model_level
        The model envelope level (default 1, the van der Waals surface).
    channel, model_channel
        Which map and model channels to compare.
    beta, conformer
        For sampling a molecule.
    padding
        Å kept around the atoms when cropping the map.

    Raises
    ------
    MolfieldError
        When the model lies outside the map or a given field is on another grid.
    """
    level = sigma_level(map_field, 1.0, channel) if map_level is None else float(map_level)
    c = map_field.channels.index(channel) if isinstance(channel, str) else int(channel)
    if isinstance(model, Field):
        if (model.resolution != map_field.resolution
                or not np.allclose(model.origin, map_field.origin, atol=1e-4)
                or not np.allclose(model.voxel_size, map_field.voxel_size, rtol=1e-6)):
            raise MolfieldError("The model field is not on the map's grid; sample it there "
                                "with model_on_grid or fields.interp.sample_grid.")
        grid, u = map_field, np.asarray(model.channel(model.channels[_ci(model, model_channel)]))
    else:
        table = _table(model, "all", conformer)
        xyz = table.xyz[table.channel >= 0]
        if atoms is None:
            atoms = xyz
        lo, hi = xyz.min(axis=0) - padding, xyz.max(axis=0) + padding
        grid = crop(map_field, lo, hi)
        u = model_on_grid(table, grid, beta=beta).values[0]
    v = np.asarray(grid.values[c], np.float64)
    inside = u >= model_level
    corr, corr_mean, overlap = _correlations(u[inside].astype(np.float64), v[inside])
    n_atoms, frac, mean_at = 0, float("nan"), float("nan")
    if atoms is not None and len(atoms):
        at = sample_grid(map_field, np.asarray(atoms, np.float64).reshape(-1, 3),
                         channels=[c])[:, 0].astype(np.float64)
        n_atoms, frac, mean_at = len(at), float((at >= level).mean()), float(at.mean())
    return MapModelFit(corr, corr_mean, overlap, int(inside.sum()), level, float(model_level),
                       n_atoms, frac, mean_at)


def _correlations(u: np.ndarray, v: np.ndarray) -> tuple[float, float, float]:
    if u.size == 0:
        return float("nan"), float("nan"), float("nan")
    overlap = float(u @ v)
    norm = float(np.sqrt((u @ u) * (v @ v)))
    du, dv = u - u.mean(), v - v.mean()
    norm_m = float(np.sqrt((du @ du) * (dv @ dv)))
    return (overlap / norm if norm > 0 else float("nan"),
            float(du @ dv) / norm_m if norm_m > 0 else float("nan"), overlap)


def _table(model: Molecule | AtomTable, channels: str | list[str] | ChannelSpec | None,
           conformer: int) -> AtomTable:
    if isinstance(model, AtomTable):
        return model
    if not isinstance(model, Molecule):
        raise MolfieldError(f"Expected a molecule, an atom table or a field, got {type(model)}.")
    if not -model.n_conformers <= conformer < model.n_conformers:
        raise MolfieldError(f"{model.name}: conformer {conformer} does not exist.")
    return ChannelSpec.parse(channels).assign(model, conformer % model.n_conformers)


def _ci(field: Field, channel: int | str) -> int:
    return field.channels.index(channel) if isinstance(channel, str) else int(channel)


__all__ = ["MODEL_LEVEL", "PADDING", "MapModelFit", "fit_metrics", "model_on_grid"]
