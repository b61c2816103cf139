"""Sample Eq. 1 on voxel grids and at arbitrary points.

Every entry ``e`` of an `AtomTable` (an atom feeding channel ``c``) adds

    f_c(p) += w_e · exp(−β (|p − x_e|² / r_e² − 1))

with the atom's exact position ``x_e`` (never snapped to a voxel), its van der Waals
radius ``r_e`` and weight ``w_e`` (1, or an atomic property).

Choices
-------
``DEFAULT_BETA = 2.0``
    Each term is a Gaussian of standard deviation ``σ = r / sqrt(2β) = r / 2`` (0.85 Å for
    carbon) that equals ``w`` on the van der Waals sphere and ``w e^β ≈ 7.4 w`` at the
    centre: the blob has the size of the atom, neighbours bonded at ~1.5 Å stay
    distinguishable, and the field is smooth enough to be sampled at 0.5–1 Å voxels.
    Larger β gives sharper atoms. Any β > 0 can be passed.
``DEFAULT_TOL = 1e-4``
    A term is dropped beyond ``d_c = r · sqrt(ln(1/tol) / β)`` (3.7 Å for carbon at β = 2),
    where it has fallen to ``tol`` of its central value. Measured on 1IEP chain A +
    imatinib (2,270 atoms, no H, default channels, padding 4 Å, β = 2) against an exact
    all-pairs evaluation in float64, the largest total truncation error of any voxel is
    3.0e-4 (64³) and 3.9e-4 (128³) of the channel's peak (tol = 3e-4 would give 1.1e-3,
    tol = 1e-5 gives 3.6e-5). Pass a smaller ``tol`` for tighter fields.
``DEFAULT_PADDING = 4.0``
    Å added around the atoms on every side of the default `Box`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..chem.molecule import Molecule
from ..errors import MolfieldError
from .box import Box
from .channels import AtomTable, ChannelSpec
from .field import Field
from .limits import check_memory as check_memory_
from .limits import check_resolution, grid_bytes

DEFAULT_BETA: float = 2.0
DEFAULT_TOL: float = 1e-4
DEFAULT_PADDING: float = 4.0
#: Largest grid edge accepted whatever the free memory.
#: tolerance used by `channel_peaks` (effectively exact: 1e-12 of a term's centre value).
PEAK_TOL: float = 1e-12

ChannelsLike = str | Sequence[str] | ChannelSpec | None


def sample_field(
    molecule: Molecule,
    resolution: int = 64,
    channels: ChannelsLike = None,
    *,
    beta: float = DEFAULT_BETA,
    padding: float = DEFAULT_PADDING,
    box: Box | None = None,
    conformer: int = 0,
    split: bool = False,
    add_hydrogens: bool = False,
    device: str = "cpu",
    tol: float | None = None,
) -> Field:
    """Sample Eq. 1 of one conformer of ``molecule`` on an ``N³`` voxel-centred grid.

    Parameters
    ----------
    molecule
        The molecule (or complex).
    resolution
        Voxels per box edge ``N`` (an int ≥ 2).
    channels
        Channel names or a `ChannelSpec` (see `ChannelSpec.parse`); default ``H, C, N, O,
        F, P, S, Cl, other``.
    beta
        Sharpness β of Eq. 1.
    padding
        Å around the atoms of the default box.
    box
        The cube to sample; default ``Box.around`` the atoms of every conformer, so all
        conformers share one frame.
    conformer
        Which conformer to sample.
    split
        Ligand and protein copies of every channel.
    add_hydrogens
        Add hydrogens first (to a molecule that has none).
    device
        ``"cpu"`` (numba) or a torch device such as ``"cuda"``.
    tol
        Relative cutoff of each term; default `DEFAULT_TOL`.

    Returns
    -------
    Field
        ``values[c, i, j, k]`` at ``box.origin(N) + box.spacing(N) * (i, j, k)``.

    Raises
    ------
    MolfieldError
        For a bad resolution, β, tolerance or conformer, or a grid too large for memory.
    """
    n = _check_resolution(resolution)
    beta, tol = _check_beta_tol(beta, tol)
    if add_hydrogens:
        from ..chem.hydrogens import add_hydrogens as _add_hydrogens

        molecule = _add_hydrogens(molecule)
    k = _check_conformer(molecule, conformer)
    spec = ChannelSpec.parse(channels, split)
    check_memory(len(spec), n)
    if box is None:
        box = Box.around(molecule.coords, padding)
    table = spec.assign(molecule, k)
    values = sample_table(table, box, n, beta=beta, tol=tol, device=device)
    meta = {
        "beta": beta,
        "tol": tol,
        "channels": spec.to_list(),
        "split": bool(spec.is_split),
        "source": molecule.source,
        "name": molecule.name,
        "conformer": k,
        "resolution": n,
        "padding": float(padding),
        "add_hydrogens": bool(add_hydrogens),
        "box": box.to_dict(),
    }
    return Field(values, box.origin(n), box.spacing(n), spec.names, box, meta)


def sample_table(
    table: AtomTable,
    box: Box,
    resolution: int,
    *,
    beta: float = DEFAULT_BETA,
    tol: float | None = None,
    device: str = "cpu",
) -> np.ndarray:
    """Eq. 1 of the entries of ``table`` on the ``resolution³`` grid of ``box``.

    Returns
    -------
    numpy.ndarray
        ``[C, N, N, N]`` float32, ``C = table.n_channels``.
    """
    n = _check_resolution(resolution)
    beta, tol = _check_beta_tol(beta, tol)
    check_memory(table.n_channels, n)
    xyz, radius, channel, weight = _entries(table)
    origin = np.asarray(box.origin(n), dtype=np.float64)
    spacing = box.spacing(n)
    if _is_cpu(device):
        from . import kernels_cpu

        out, zeroed = kernels_cpu.new_grid((table.n_channels, n, n, n))
        kernels_cpu.splat_grid(
            xyz, radius, channel, weight, beta, tol, origin, spacing, out, not zeroed,
            kernels_cpu.default_threads(),
        )
        return out
    from . import kernels_torch

    grid = kernels_torch.splat_grid(
        xyz, radius, channel, weight, beta, tol, origin, spacing, n, table.n_channels,
        device=device,
    )
    return grid.cpu().numpy()


def sample_points(
    table_or_molecule: AtomTable | Molecule,
    points: np.ndarray,
    *,
    channels: ChannelsLike = None,
    beta: float = DEFAULT_BETA,
    tol: float | None = None,
    device: str = "cpu",
    conformer: int = 0,
) -> np.ndarray:
    """Eq. 1 at arbitrary points (for training neural fields off the grid).

    Parameters
    ----------
    table_or_molecule
        An `AtomTable`, or a `Molecule` whose ``conformer`` is assigned to ``channels``
        (ignored for a table).
    points
        ``[..., 3]`` coordinates in Å.
    beta, tol, device
        As in `sample_field`.

    Returns
    -------
    numpy.ndarray
        ``[..., C]`` float32.
    """
    beta, tol = _check_beta_tol(beta, tol)
    if isinstance(table_or_molecule, Molecule):
        k = _check_conformer(table_or_molecule, conformer)
        table = ChannelSpec.parse(channels).assign(table_or_molecule, k)
    else:
        table = table_or_molecule
    pts = np.asarray(points, dtype=np.float64)
    if pts.shape[-1:] != (3,):
        raise MolfieldError(f"Points must have shape [..., 3], got {pts.shape}.")
    if not np.isfinite(pts).all():
        raise MolfieldError("Some points are NaN or infinite.")
    lead = pts.shape[:-1]
    flat = np.ascontiguousarray(pts.reshape(-1, 3))
    xyz, radius, channel, weight = _entries(table)
    if _is_cpu(device):
        from . import kernels_cpu

        out = np.zeros((flat.shape[0], table.n_channels), np.float32)
        if flat.shape[0] and xyz.shape[0]:
            kernels_cpu.eval_points(flat, xyz, radius, channel, weight, beta, tol, out)
    else:
        from . import kernels_torch

        out = kernels_torch.eval_points(
            flat, xyz, radius, channel, weight, beta, tol, table.n_channels, device=device
        ).cpu().numpy()
    return out.reshape(*lead, table.n_channels)


def channel_peaks(table: AtomTable, beta: float = DEFAULT_BETA) -> np.ndarray:
    """A resolution-independent scale per channel, for normalising fields.

    The peak of channel ``c`` is the largest ``|f_c|`` of Eq. 1 evaluated at the centres of
    the entries feeding ``c`` (where its maxima lie, up to the small shift overlapping
    neighbours cause), with a cutoff of ``PEAK_TOL = 1e-12`` (exact in float32). It does
    not depend on any grid, so fields at every resolution — and a neural field's targets at
    random points — are divided by the same numbers. Channels without entries get 1.

    Returns
    -------
    numpy.ndarray
        ``[C]`` float64, all positive.
    """
    beta, _ = _check_beta_tol(beta, PEAK_TOL)
    xyz, radius, channel, weight = _entries(table)
    peaks = np.ones(table.n_channels)
    if xyz.shape[0] == 0:
        return peaks
    from . import kernels_cpu

    vals = np.zeros((xyz.shape[0], table.n_channels), np.float32)
    kernels_cpu.eval_points(xyz, xyz, radius, channel, weight, beta, PEAK_TOL, vals)
    for c in range(table.n_channels):
        own = np.abs(vals[channel == c, c])
        if own.size and own.max() > 0:
            peaks[c] = float(own.max())
    return peaks


def check_memory(n_channels: int, resolution: int) -> None:
    """Refuse a ``C × N³`` float32 grid larger than half the available memory.

    Raises
    ------
    MolfieldError
        With the GiB the grid would need.
    """
    check_memory_(grid_bytes(n_channels, resolution), f"A {n_channels}-channel {resolution}³ grid",
                  "lower the resolution or the number of channels")
    check_resolution(resolution, 2)


def _check_resolution(resolution: object) -> int:
    return check_resolution(resolution, 2, maximum=None)  # `check_memory` caps it


def _check_beta_tol(beta: float, tol: float | None) -> tuple[float, float]:
    beta = float(beta)
    tol = DEFAULT_TOL if tol is None else float(tol)
    if not (math.isfinite(beta) and beta > 0):
        raise MolfieldError(f"β must be a finite positive number, got {beta}.")
    if not (0 < tol < 1):
        raise MolfieldError(f"The cutoff tolerance must lie in (0, 1), got {tol}.")
    return beta, tol


def _check_conformer(molecule: Molecule, conformer: int) -> int:
    k = int(conformer)
    if not -molecule.n_conformers <= k < molecule.n_conformers:
        raise MolfieldError(
            f"{molecule.name}: conformer {k} does not exist "
            f"({molecule.n_conformers} conformers)."
        )
    return k % molecule.n_conformers


def _entries(table: AtomTable) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    xyz = np.ascontiguousarray(table.xyz, dtype=np.float64).reshape(-1, 3)
    radius = np.ascontiguousarray(table.radius, dtype=np.float64).reshape(-1)
    channel = np.ascontiguousarray(table.channel, dtype=np.int64).reshape(-1)
    weight = np.ascontiguousarray(table.weight, dtype=np.float64).reshape(-1)
    if not (np.isfinite(xyz).all() and np.isfinite(weight).all()):
        raise MolfieldError("Some atom coordinates or weights are NaN or infinite.")
    if (channel >= 0).any() and not (radius[channel >= 0] > 0).all():
        raise MolfieldError("Every atom feeding a channel needs a positive radius.")
    return xyz, radius, channel, weight


def _is_cpu(device: str | None) -> bool:
    return device is None or str(device).lower() == "cpu"
