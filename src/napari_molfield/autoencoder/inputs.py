"""What the auto-encoder sees of molecules: atom tables in the shared box, normalised grids,
random rotations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..chem.molecule import Molecule
from ..fields.box import Box
from ..fields.channels import ChannelSpec
from ..fields.sample import channel_peaks, sample_table
from .frames import Frame, atom_weights, canonical_frame


@dataclass(eq=False)
class FieldInputs:
    """Eq. 1 inputs of molecules in the shared box, as the auto-encoder sees them.

    Attributes
    ----------
    tables
        Per-molecule `AtomTable` (first conformer).
    boxes
        Per-molecule `Box` of edge ``box_edge`` centred on the atoms.
    scales
        ``[M, C]`` per-channel peaks (`channel_peaks`): targets are field / scale.
    occupied
        ``[M, C]`` whether any atom feeds the channel.
    frames
        Per-molecule `Frame` the tables were moved into (``None``: the input's own).
    """

    tables: list[Any]
    boxes: list[Any]
    scales: np.ndarray
    occupied: np.ndarray
    frames: list[Frame | None] = field(default_factory=list)


def field_inputs(
    molecules: Sequence[Molecule],
    channels: Any,
    box_edge: float,
    beta: float,
    rotations: np.ndarray | None = None,
    *,
    canonical: bool = False,
    conformers: Sequence[int] | None = None,
    flips: np.ndarray | None = None,
) -> FieldInputs:
    """Atom tables, boxes and normalisation of ``molecules`` (optionally rotated).

    Parameters
    ----------
    rotations
        ``[M, 3, 3]`` rotation matrices applied about each molecule's centre first.
    canonical
        Move each molecule into its canonical frame (`frames.canonical_frame`) first.
    conformers
        Conformer index per molecule (default: the first).
    flips
        ``[M, 3, 3]`` proper rotations applied in the canonical frame (augmentation).
    """
    spec = ChannelSpec.parse(channels)
    tables, boxes, scales, occ, frames = [], [], [], [], []
    for i, mol in enumerate(molecules):
        k = int(conformers[i]) if conformers is not None else 0
        table = spec.assign(mol, k)
        xyz = table.xyz
        if rotations is not None:
            c = (xyz.min(axis=0) + xyz.max(axis=0)) / 2
            xyz = (xyz - c) @ np.asarray(rotations[i]).T + c
        frame = None
        if canonical:
            frame = molecule_frame(mol, xyz)
            if flips is not None:
                frame = Frame(frame.centre, np.asarray(flips[i]) @ frame.axes)
            xyz = frame.to_canonical(xyz)
        if xyz is not table.xyz:
            table = type(table)(xyz, table.radius, table.channel, table.weight, table.channels)
        used = table.used()
        box = Box.around(used.xyz if len(used.radius) else table.xyz, 0.0, edge=box_edge)
        tables.append(table)
        boxes.append(box)
        frames.append(frame)
        scales.append(channel_peaks(table, beta))
        occ.append(np.isin(np.arange(len(spec)), used.channel))
    return FieldInputs(tables, boxes, np.array(scales).reshape(-1, len(spec)),
                       np.array(occ).reshape(-1, len(spec)), frames)


def molecule_frame(mol: Molecule, xyz: np.ndarray) -> Frame:
    """The canonical frame of ``mol``'s atoms at ``xyz`` (``[A, 3]``, table order), weighted
    by atomic number when the table holds one entry per atom."""
    w = atom_weights(mol.elements) if len(xyz) == len(mol.elements) else None
    return canonical_frame(xyz, w)


def normalised_grids(inputs: FieldInputs, resolution: int, beta: float) -> np.ndarray:
    """``[M, C, N, N, N]`` float32 grids of Eq. 1 divided by the channel peaks."""
    out = []
    for table, box, scale in zip(inputs.tables, inputs.boxes, inputs.scales, strict=True):
        g = sample_table(table, box, resolution, beta=beta)
        out.append(g / scale.astype(np.float32)[:, None, None, None])
    return np.stack(out) if out else np.zeros((0,), np.float32)


def random_rotations(n: int, rng: np.random.Generator) -> np.ndarray:
    """``[n, 3, 3]`` rotation matrices uniform on SO(3) (from random unit quaternions)."""
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
    ], axis=1)


__all__ = ["FieldInputs", "field_inputs", "molecule_frame", "normalised_grids",
           "random_rotations"]
