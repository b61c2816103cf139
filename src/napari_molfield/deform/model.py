"""`DeformModel`: a fitted `nn.deform_net.DeformNet` with its ensemble.

``f(x; z) = T(x + D(x, z))``: the template SIREN holds one structure's field; the
displacement SIREN, modulated by the conformer's latent, says where in the template
each point of a conformer comes from. Sliding ``z`` moves density instead of fading it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch

from ..chem.molecule import Molecule
from ..fields.box import Box
from ..fields.channels import AtomTable, ChannelSpec
from ..nn.atom_decoder import AtomDecoder
from ..nn.deform_net import DeformNet
from ..nn.items import LatentItems
from .config import DeformConfig

#: Per-atom annotations a `DeformModel` keeps (to rebuild the molecule and write PDB).
ATOM_FIELDS = ("elements", "atom_names", "residue_names", "residue_numbers", "chains",
               "hetero", "ligand_mask")


@dataclass(eq=False)
class DeformModel(LatentItems):
    """A fitted deformable field of one ensemble (conformers of the same atoms).

    Decoded values are on the ensemble's normalised scale: channel ``c`` is the Eq. 1
    field divided by ``scale[c]`` (the mean of the conformers' `channel_peaks`).

    Attributes
    ----------
    network
        The `DeformNet` (``config.decoder == "warp"``) or the `AtomDecoder` (``"atoms"``).
    config
        Its `DeformConfig`.
    latents
        ``[K, L]`` latent codes, one per conformer (a parameter while fitting).
    items
        One dict per conformer: ``name``, ``source``, ``conformer``, ``conformer_name``,
        ``box``, ``scale``.
    channels, beta, train_resolution
        As in the auto-decoder's `FittedModel`.
    region
        The one `Box` every conformer shares (the network frame; `box` returns it for any
        item, as every model kind's ``box(item)`` does).
    coords
        ``[K, A, 3]`` atoms of every conformer, Å (the inputs).
    template_xyz
        ``[A, 3]`` atoms of the template, Å.
    atoms
        Per-atom annotations (`ATOM_FIELDS`) as lists.
    name, source
        Of the ensemble.
    hydrogens_added
        Whether the fit added hydrogens.
    fit_config, history
        The `DeformFitConfig` as a dict and ``{"step", "loss", "psnr", "elapsed"}`` records.
    """

    #: The kind name of the model protocol (`napari_molfield.models`).
    kind: ClassVar[str] = "deformable"
    item_word: ClassVar[str] = "conformer"

    network: DeformNet | AtomDecoder
    config: DeformConfig
    latents: torch.Tensor
    items: list[dict[str, Any]]
    channels: tuple[str, ...]
    beta: float
    train_resolution: int
    region: Box
    coords: np.ndarray
    template_xyz: np.ndarray
    atoms: dict[str, list[Any]]
    name: str = "ensemble"
    source: str | None = None
    hydrogens_added: bool = False
    fit_config: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def n_atoms(self) -> int:
        """Atoms per conformer ``A``."""
        return int(self.coords.shape[1])

    @property
    def decodes_atoms(self) -> bool:
        """Whether the latents decode atoms and the field is Eq. 1 of them (``"atoms"``)."""
        return isinstance(self.network, AtomDecoder)

    @property
    def device(self) -> torch.device:
        """Where the network lives."""
        return next(self.network.parameters()).device

    def box(self, item: int | str = 0) -> Box:
        """The `Box` of ``item``: every conformer shares the ensemble's `region`."""
        self.item_index(item)
        return self.region

    def molecule(self) -> Molecule:
        """The ensemble as one `Molecule` with ``K`` conformers."""
        a = self.atoms
        return Molecule(
            elements=np.array(a["elements"], dtype=object),
            coords=self.coords,
            name=self.name,
            atom_names=a["atom_names"],
            residue_names=a["residue_names"],
            residue_numbers=a["residue_numbers"],
            chains=a["chains"],
            hetero=a["hetero"],
            ligand_mask=a["ligand_mask"],
            source=self.source,
            conformer_names=[it["conformer_name"] for it in self.items],
        )

    def table(self, item: int | str = 0, coords: np.ndarray | None = None) -> AtomTable:
        """The Eq. 1 inputs of conformer ``item`` (or of atoms ``coords`` ``[A, 3]``)."""
        mol = self.molecule()
        if coords is not None:
            mol = Molecule(mol.elements, np.asarray(coords, dtype=np.float64)[None],
                           ligand_mask=mol.ligand_mask, name=mol.name)
            return ChannelSpec.parse(list(self.channels)).assign(mol, 0)
        return ChannelSpec.parse(list(self.channels)).assign(mol, self.item_index(item))

    def __repr__(self) -> str:
        return (
            f"DeformModel({self.name!r}, conformers={self.n_items}, atoms={self.n_atoms}, "
            f"channels={list(self.channels)}, width={self.config.width}, "
            f"decoder={self.config.decoder!r}, latent_dim={self.config.latent_dim}, "
            f"train_resolution={self.train_resolution})"
        )


def atom_annotations(mol: Molecule) -> dict[str, list[Any]]:
    """The `ATOM_FIELDS` of ``mol`` as JSON-friendly lists."""
    out: dict[str, list[Any]] = {}
    for name in ATOM_FIELDS:
        values = np.asarray(getattr(mol, name))
        if values.dtype == bool:
            out[name] = [bool(v) for v in values]
        elif np.issubdtype(values.dtype, np.integer):
            out[name] = [int(v) for v in values]
        else:
            out[name] = [str(v) for v in values]
    return out


__all__ = ["ATOM_FIELDS", "DeformModel", "atom_annotations"]
