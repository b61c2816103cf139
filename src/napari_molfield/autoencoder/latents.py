"""The training dataset's latents and descriptors, for latent maps."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..chem.molecule import Molecule
from ..chem.smiles import DESCRIPTOR_NAMES, descriptors
from ..errors import MolfieldError
from .conformers import cached_conformer
from .encode import encode_molecules
from .model import AEModel


def dataset_latents(model: AEModel) -> tuple[list[str], list[str], np.ndarray,
                                              dict[str, np.ndarray]]:
    """The training dataset's ``(names, smiles, latents [M, L], properties)``.

    Properties hold the dataset's numeric columns (FreeSolv: ``dG_hyd`` …), the RDKit
    :data:`~napari_molfield.chem.smiles.DESCRIPTOR_NAMES` and ``split`` (0 train, 1 val,
    2 test) for colouring a latent map. The molecules are the model's items — those whose
    latents the checkpoint stores (the shipped model keeps FreeSolv's, listed first);
    a checkpoint without latents has them recomputed from the SMILES (cached conformers).
    """
    ds = model.meta.get("dataset")
    if not ds:
        raise MolfieldError("This model stores no dataset.")
    names, smiles = list(ds["names"]), list(ds["smiles"])
    lat = model.dataset_latents
    if lat is None:
        mols = [cached_conformer(s, name=n, seed=model.conformer_seed)
                for n, s in zip(names, smiles, strict=True)]
        lat = encode_molecules(model, mols)
    n = min(len(lat), len(names))
    names, smiles, lat = names[:n], smiles[:n], lat[:n]
    props = {k: np.asarray(v, dtype=np.float64)[:n]
             for k, v in ds.get("properties", {}).items()}
    props |= descriptor_table(smiles)
    split = model.meta.get("split", {})
    where = {n: i for i, part in enumerate(("train", "val", "test")) for n in split.get(part, [])}
    props["split"] = np.array([where.get(n, -1) for n in names], dtype=np.float64)
    return names, smiles, np.asarray(lat, dtype=np.float32), props


def descriptor_table(smiles: Sequence[str | None]) -> dict[str, np.ndarray]:
    """RDKit descriptors (MolMR, ExactMolWt, TPSA, MolLogP, NumRotatableBonds) per SMILES;
    NaN where a SMILES is missing or unparsable."""
    out = {k: np.full(len(smiles), np.nan) for k in DESCRIPTOR_NAMES}
    for i, s in enumerate(smiles):
        if not s:
            continue
        try:
            d = descriptors(Molecule(["C"], np.zeros((1, 3)), smiles=s))
        except MolfieldError:
            continue
        for k, v in d.items():
            out[k][i] = v
    return out


__all__ = ["dataset_latents", "descriptor_table"]
