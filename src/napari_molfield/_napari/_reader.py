"""napari reader: molecule files become field channels plus an atoms layer.

Imports neither torch nor Qt: opening a file must stay cheap. In a viewer the reading and
sampling run in a worker (`background`): the reader returns at once and the layers
arrive when they are ready.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ..chem.readers import can_read, read_molecules
from .layers import (
    LIGAND_CHANNEL,
    MAX_ENSEMBLE_VOXELS,
    FieldParams,
    LayerData,
    current_viewer,
    is_complex,
    molecule_layers,
    shown_as_notification,
    view_in_3d,
)

PathLike = str | os.PathLike


def get_reader(path: PathLike | Sequence[PathLike]) -> Callable[..., list[LayerData]] | None:
    """Return a reader for molecule files napari-molfield understands, else None."""
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    if not paths or not all(can_read(p) for p in paths):
        return None
    return shown_as_notification(read_in_viewer)


def read_in_viewer(path: PathLike | Sequence[PathLike]) -> list[LayerData]:
    """`read_paths`, in a worker when a viewer is open (its layers added on return);
    without one (a script) now, returning the layers."""
    viewer = current_viewer()
    if viewer is None:
        return read_paths(path)
    from . import background

    view_in_3d()
    background.later(read_paths, (path,), lambda layers: background.add_layers(viewer, layers))
    return [(None,)]  # napari's "nothing to add": the worker adds them


def read_paths(path: PathLike | Sequence[PathLike]) -> list[LayerData]:
    """Read every molecule of every path into field and atom layers.

    A protein–ligand complex gets a ``ligand:all`` channel too, so its ligand stands out;
    that layer's metadata lists the ligand's residue names (``ligand_residues``).

    Raises
    ------
    MolfieldError
        With one sentence for the user when a file cannot be read.
    """
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    layers: list[LayerData] = []
    for p in paths:
        for mol in read_molecules(p):
            params = reader_params(mol.n_conformers, ligand=is_complex(mol))
            layers.extend(molecule_layers(mol, params))
    return layers


def reader_params(n_conformers: int, resolution: int = 64, ligand: bool = False) -> FieldParams:
    """Default sampling for files opened in the viewer; fewer voxels for long ensembles.

    ``ligand`` adds the `LIGAND_CHANNEL` (for complexes).
    """
    params = FieldParams(resolution=resolution)
    if ligand:
        params.channels = f"{params.channels},{LIGAND_CHANNEL}"
    n_channels = len(params.spec())
    while n_conformers * n_channels * params.resolution**3 > MAX_ENSEMBLE_VOXELS:
        params.resolution -= 8
    params.resolution = max(params.resolution, 24)
    return params


