"""Atoms out of the neural fields themselves: an auto-decoder item, an auto-encoder latent.

The network is evaluated on a grid of the item's box and then, around each atom, on a
finer local cube (`atoms_from_callable`), so refinement sees the continuous field rather
than one sampling of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..fields.box import Box
from .recover import atoms_from_callable
from .result import RecoveredAtoms

if TYPE_CHECKING:
    import torch

    from ..autodecoder.model import FittedModel
    from ..autoencoder.model import AEModel
    from ..chem.molecule import Molecule
    from ..deform.model import DeformModel


def _siren_function(siren: Any, latent: torch.Tensor, box: Box) -> Any:
    """``f(points Å [P, 3] tensor) → [P, C]`` of a modulated SIREN at one latent."""
    import torch

    mods = siren.modulations(latent.reshape(1, -1))
    centre = torch.as_tensor(np.asarray(box.centre), dtype=torch.float32)
    half = box.edge / 2

    def f(points: torch.Tensor) -> torch.Tensor:
        unit = (points.float() - centre.to(points.device)) / half
        return torch.cat([siren.forward_modulated(unit[None, a : a + 16384], mods)[0]
                          for a in range(0, max(len(unit), 1), 16384)])

    return f


def atoms_from_model(
    model: FittedModel,
    item: int | str = 0,
    resolution: int = 48,
    *,
    latent: np.ndarray | None = None,
    charge: int = 0,
    **kwargs: Any,
) -> RecoveredAtoms:
    """Atoms of an auto-decoder item (or of any ``latent`` in its frame), refined on the
    network.

    The item's stored scale turns the normalised output back into Eq. 1 units, so atom
    counts come from the channel integrals. ``kwargs`` go to `atoms_from_callable`.
    """
    import torch

    i = model.item_index(item)
    box = model.box(i)
    z = (model.latent(i) if latent is None
         else torch.as_tensor(np.asarray(latent, dtype=np.float32)))
    with torch.no_grad():
        f = _siren_function(model.network, z.to(model.device), box)
        return atoms_from_callable(f, box, list(model.channels), resolution=resolution,
                                   beta=model.beta, scale=list(model.scale(i)), charge=charge,
                                   device=str(model.device), **kwargs)


def atoms_from_deform(
    model: DeformModel,
    item: int | str = 0,
    resolution: int = 48,
    *,
    latent: np.ndarray | None = None,
    charge: int = 0,
    bonds: bool = True,
) -> RecoveredAtoms:
    """Atoms of a deformable model's conformer (or of any ``latent``): its atoms move with
    the field, so they are the template's atoms carried by the displacement
    (`deform.decode.atoms_at`), with the ensemble's elements — no peak counting.

    ``residual`` says how well they explain the decoded field: the relative L2 difference
    between the decode and Eq. 1 of these atoms at ``resolution³``.
    """
    import time

    from ..deform.decode import as_latent, atoms_at, decode_deform, truth_field
    from .bonds import bonded_molecule

    t0 = time.perf_counter()
    i = model.item_index(item)
    z = as_latent(model, i, latent)
    xyz = atoms_at(model, z)
    elements = np.asarray(model.atoms["elements"], dtype=object).astype(str)
    table = model.table(i, coords=xyz)
    channel = table.channel if len(table.channel) == len(xyz) else np.full(len(xyz), -1)
    dec = decode_deform(model, i, resolution, latent=z).values.astype(np.float64)
    tru = truth_field(model, i, resolution, coords=xyz).values.astype(np.float64)
    num = ((dec - tru) ** 2).reshape(len(model.channels), -1).sum(axis=1)
    den = (tru**2).reshape(len(model.channels), -1).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ch_res = np.where(den > 0, np.sqrt(num / den), np.nan)
    residual = float(np.sqrt(num.sum() / max(den.sum(), 1e-30)))
    result = RecoveredAtoms(elements, xyz, np.asarray(channel, np.int32), tuple(model.channels),
                            [], np.asarray(model.scale(i), np.float64), residual, ch_res,
                            notes=[("atoms decoded from the latent" if model.decodes_atoms
                                    else "atoms carried from the template by the model's "
                                    "displacement field") + " (elements from the ensemble)"])
    if bonds:
        result.mol, result.sanitize_message = bonded_molecule(elements, xyz, charge)
    result.seconds = time.perf_counter() - t0
    return result


#: Elements an atom-slot ``other`` channel may hold, told apart by their radius.
OTHER_ELEMENTS = ("Br", "I", "B", "Si", "Se", "As")


def atoms_from_slots(
    model: AEModel,
    latent: np.ndarray,
    to_user: Any,
    *,
    charge: int = 0,
    bonds: bool = True,
    threshold: float = 0.3,
) -> RecoveredAtoms:
    """Atoms of an atom-slot auto-encoder latent (`nn.atom_slots`): the slots ARE atoms,
    so they are read, not searched for — each filled slot (merged with a coinciding one)
    is an atom of its largest channel at its centre; an ``other`` atom's element is the
    one whose van der Waals radius its slot's radius matches best.

    ``to_user`` maps unit-frame points ``[A, 3]`` to the user's frame (Å).
    ``residual`` is the relative L2 difference between the slots' field and Eq. 1 of
    the atoms read (0 when every slot holds one whole atom).
    """
    import time

    from ..chem.elements import vdw_radius
    from ..nn.atom_slots import slot_atoms
    from .bonds import bonded_molecule

    t0 = time.perf_counter()
    dec = model.net.siren
    pos, chan, amp = slot_atoms(dec, latent, threshold=threshold)
    names = np.asarray(model.channels, dtype=object)
    elements = names[chan].astype(str) if len(chan) else np.zeros(0, str)
    other = ~np.isin(elements, ["H", "C", "N", "O", "F", "P", "S", "Cl", "Br", "I"])
    if other.any():
        radii = vdw_radius(np.array(OTHER_ELEMENTS, dtype=object), strict=False)
        r = np.asarray(dec.config.radii)[chan[other]]
        pick = np.nanargmin(np.abs(radii[None, :] - r[:, None]), axis=1)
        elements = elements.astype(object)
        elements[other] = np.array(OTHER_ELEMENTS, dtype=object)[pick]
        elements = elements.astype(str)
    xyz = np.asarray(to_user(pos), dtype=np.float64).reshape(-1, 3)
    res, ch_res = _slot_residual(model, latent, pos, chan, amp)
    result = RecoveredAtoms(
        elements, xyz, np.asarray(chan, np.int32), tuple(model.channels), [],
        np.ones(len(model.channels)), res, ch_res,
        notes=["atoms read from the latent's slots (atom-slot decoder)"])
    if bonds and len(elements):
        result.mol, result.sanitize_message = bonded_molecule(elements, xyz, charge)
    result.seconds = time.perf_counter() - t0
    return result


def _has_slots(model: AEModel) -> bool:
    from ..nn.atom_slots import AtomSlots

    return isinstance(model.net.siren, AtomSlots)


def _slot_residual(model: AEModel, latent: np.ndarray, pos: np.ndarray, chan: np.ndarray,
                   amp: np.ndarray) -> tuple[float, np.ndarray]:
    """Relative L2 difference (all channels, and per channel) between a latent's slot
    field and the field of the atoms read from it, on the model's grid."""
    from ..fields.channels import AtomTable
    from ..fields.sample import sample_table
    from ..nn.atom_slots import slot_table

    dec = model.net.siren
    box = Box((0.0, 0.0, 0.0), model.box_edge)
    n = model.resolution
    slots = sample_table(slot_table(dec, latent, box, model.channels), box, n,
                         beta=model.beta).astype(np.float64)
    radii = np.asarray(dec.config.radii, np.float64)
    table = AtomTable(box.from_unit(pos), radii[chan], np.asarray(chan, np.int32),
                      amp * np.exp(-model.beta), tuple(model.channels))
    atoms = sample_table(table, box, n, beta=model.beta).astype(np.float64)
    num = ((slots - atoms) ** 2).reshape(len(radii), -1).sum(1)
    den = (slots**2).reshape(len(radii), -1).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = np.where(den > 0, np.sqrt(num / den), np.nan)
    return float(np.sqrt(num.sum() / max(den.sum(), 1e-30))), per


def atoms_in_place(
    model: AEModel,
    latent: np.ndarray,
    molecule: Molecule,
    resolution: int = 48,
    *,
    charge: int = 0,
    **kwargs: Any,
) -> RecoveredAtoms:
    """Atoms of an auto-encoder latent of a KNOWN molecule, in that molecule's own frame.

    The network is evaluated at the user-frame points mapped into the model's frame
    (`autoencoder.placement`), so the atoms land on the file's coordinates, and the
    molecule's channel peaks (known, since the molecule is) turn the normalised output
    into Eq. 1 units: atom counts come from the channel integrals, not from a guess.
    """
    from ..autoencoder.placement import decode_points, placement

    where = placement(model, molecule)
    z = np.asarray(latent, dtype=np.float32)
    if _has_slots(model):

        def to_user(u: np.ndarray) -> np.ndarray:
            q = where.model_box.from_unit(u)
            return where.frame.from_canonical(q) if where.frame is not None else q

        return atoms_from_slots(model, z, to_user, charge=charge)

    def f(points: torch.Tensor) -> np.ndarray:
        return decode_points(model, z, where, points.detach().cpu().numpy().astype(np.float64))

    return atoms_from_callable(f, where.user_box, list(model.channels), resolution=resolution,
                               beta=model.beta, scale=[float(s) for s in where.scale],
                               charge=charge, **kwargs)


def atoms_from_latent(
    model: AEModel,
    latent: np.ndarray,
    resolution: int = 48,
    *,
    centre: tuple[float, float, float] = (0.0, 0.0, 0.0),
    charge: int = 0,
    **kwargs: Any,
) -> RecoveredAtoms:
    """Atoms of an auto-encoder latent (decoded in the shared box centred at ``centre``).

    The decoded field is normalised and the molecule's scale is unknown, so the recovery
    estimates it (see `atoms_from_field`).
    """
    import torch

    box = Box(centre, model.box_edge)
    if _has_slots(model):
        return atoms_from_slots(model, np.asarray(latent, dtype=np.float32), box.from_unit,
                                charge=charge)
    z = torch.as_tensor(np.asarray(latent, dtype=np.float32), device=model.device)
    with torch.no_grad():
        f = _siren_function(model.net.siren, z, box)
        return atoms_from_callable(f, box, list(model.channels), resolution=resolution,
                                   beta=model.beta, charge=charge, device=str(model.device),
                                   **kwargs)


__all__ = ["OTHER_ELEMENTS", "atoms_from_deform", "atoms_from_latent", "atoms_from_model",
           "atoms_from_slots", "atoms_in_place"]
