"""Training corpora beyond FreeSolv, all available offline, and the unseen-drug test list.

* FreeSolv v0.52 (``sample_data/freesolv_database.txt``, CC0): 642 small molecules with
  hydration free energies.
* The first 5,000 structures of the NCI open database that RDKit ships as
  ``rdkit/Data/NCI/first_5K.smi`` (RDKit's BSD licence; NCI data are public): larger,
  drug-like and synthetic organics. Salts are reduced to their largest fragment and rows
  outside the model's elements or size are skipped (each with a reason).
* :data:`UNSEEN_DRUGS`: ten approved drugs kept out of both, for held-out tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .datasets import Dataset, load_dataset, prepare_molecule
from .records import Record, RowProblem, read_records

#: Approved drugs not in FreeSolv and left out of the training corpus (paracetamol is in
#: the NCI file and dropped from it; tests check both).
UNSEEN_DRUGS: dict[str, str] = {
    "ibuprofen": "CC(C)Cc1ccc(cc1)C(C)C(=O)O",
    "paracetamol": "CC(=O)Nc1ccc(O)cc1",
    "carbamazepine": "NC(=O)N1c2ccccc2C=Cc2ccccc21",
    "diazepam": "CN1C(=O)CN=C(c2ccccc2)c2cc(Cl)ccc21",
    "lidocaine": "CCN(CC)CC(=O)Nc1c(C)cccc1C",
    "propranolol": "CC(C)NCC(O)COc1cccc2ccccc12",
    "fluconazole": "OC(Cn1cncn1)(Cn1cncn1)c1ccc(F)cc1F",
    "sulfamethoxazole": "Cc1cc(NS(=O)(=O)c2ccc(N)cc2)no1",
    "celecoxib": "Cc1ccc(cc1)-c1cc(nn1-c1ccc(cc1)S(N)(=O)=O)C(F)(F)F",
    "metoprolol": "COCCc1ccc(OCC(O)CNC(C)C)cc1",
}
#: Elements a corpus molecule may contain (the rest would only feed ``other``).
ELEMENTS = frozenset({"H", "C", "N", "O", "F", "P", "S", "Cl", "Br", "I"})


def nci_path() -> Path:
    """RDKit's copy of the first 5,000 NCI structures (``first_5K.smi``)."""
    from rdkit import RDConfig

    return Path(RDConfig.RDDataDir) / "NCI" / "first_5K.smi"


def canonical(smiles: str) -> str | None:
    """RDKit's canonical SMILES (``None`` when unparsable)."""
    from rdkit import Chem, RDLogger

    RDLogger.DisableLog("rdApp.*")
    try:
        mol = Chem.MolFromSmiles(smiles)
    finally:
        RDLogger.EnableLog("rdApp.*")
    return None if mol is None else Chem.MolToSmiles(mol)


def drug_like_records(
    path: str | os.PathLike[str],
    *,
    exclude: Iterable[str] = (),
    prefix: str = "nci_",
    heavy: tuple[int, int] = (6, 36),
    limit: int | None = None,
) -> tuple[list[Record], list[RowProblem], int]:
    """Rows of a SMILES file cleaned for training: largest fragment, neutral-ish, allowed
    elements, ``heavy`` atoms (inclusive range), unique, not in ``exclude`` (canonical
    SMILES). Returns the records kept (names ``prefix + id``), the rows skipped and the
    number of rows looked at."""
    from rdkit import Chem, RDLogger
    from rdkit.Chem.MolStandardize import rdMolStandardize

    records, problems, _ = read_records(path)
    seen = {c for c in (canonical(s) for s in exclude) if c}
    chooser = rdMolStandardize.LargestFragmentChooser()
    kept: list[Record] = []
    looked = 0
    RDLogger.DisableLog("rdApp.*")
    try:
        for rec in records:
            looked += 1
            mol = Chem.MolFromSmiles(rec.smiles or "")
            why = None
            if mol is None:
                why = "RDKit cannot parse the SMILES"
            else:
                mol = chooser.choose(mol)
                elems = {a.GetSymbol() for a in mol.GetAtoms()}
                n = mol.GetNumHeavyAtoms()
                smi = Chem.MolToSmiles(mol)
                if not elems <= ELEMENTS:
                    why = f"element(s) {', '.join(sorted(elems - ELEMENTS))} outside the corpus"
                elif not heavy[0] <= n <= heavy[1]:
                    why = f"{n} heavy atoms, outside {heavy[0]}–{heavy[1]}"
                elif abs(Chem.GetFormalCharge(mol)) > 1:
                    why = "net charge beyond ±1"
                elif smi in seen:
                    why = "a duplicate, or in an excluded set"
            if why:
                problems.append(RowProblem(rec.row, rec.name, why))
                continue
            seen.add(smi)
            kept.append(Record(rec.row, f"{prefix}{rec.name}", smi, {}))
            if limit is not None and len(kept) >= limit:
                break
    finally:
        RDLogger.EnableLog("rdApp.*")
    return kept, problems, looked


def training_corpus(
    freesolv: str | os.PathLike[str],
    *,
    channels: Any = None,
    box_edge: float = 24.0,
    seed: int = 0,
    n_conformers: int = 1,
    extra: str | os.PathLike[str] | None = None,
    extra_limit: int | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    progress: Any = None,
) -> Dataset:
    """FreeSolv plus (optionally) a cleaned drug-like SMILES file as one `Dataset`.

    The extra file's molecules that are in FreeSolv or :data:`UNSEEN_DRUGS` are left out,
    so held-out numbers stay held out. FreeSolv rows keep their properties (``dG_hyd`` …);
    the others have none (NaN on a latent map).
    """
    fs = load_dataset(freesolv, channels=channels, box_edge=box_edge, seed=seed,
                      cache_dir=cache_dir, n_conformers=n_conformers)
    if extra is None:
        return fs
    exclude = [m.smiles or "" for m in fs.molecules] + list(UNSEEN_DRUGS.values())
    records, problems, looked = drug_like_records(extra, exclude=exclude, limit=extra_limit)
    mols = list(fs.molecules)
    for i, rec in enumerate(records):
        if progress is not None:
            progress(i, len(records))
        mol, probs = prepare_molecule(rec, channels=channels, box_edge=box_edge, seed=seed,
                                      cache_dir=cache_dir, n_conformers=n_conformers)
        problems += [RowProblem(p.row, p.name, p.reason, p.skipped) for p in probs]
        if mol is not None:
            mols.append(mol)
    label = f"{Path(fs.source).name} + {Path(extra).name}"
    tagged = [RowProblem(p.row, f"{Path(extra).name}: {p.name}", p.reason, p.skipped)
              for p in problems]
    return Dataset(mols, fs.problems + tagged, label, fs.n_rows + looked)


__all__ = ["ELEMENTS", "UNSEEN_DRUGS", "canonical", "drug_like_records", "nci_path",
           "training_corpus"]
