"""Sample data shown under File ▸ Open Sample (no torch, no Qt)."""

from __future__ import annotations

from pathlib import Path

from ..chem.molecule import Molecule
from ..chem.readers import read_molecules
from .layers import FieldParams, LayerData, molecule_layers, view_in_3d

SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"
IBUPROFEN = "CC(C)Cc1ccc(cc1)[C@@H](C)C(=O)O"


def sample_path(name: str) -> Path:
    """Path of a bundled sample file (``"1iep.pdb"``, ``"1l2y.pdb"``, …)."""
    return SAMPLE_DIR / name


def kinase_complex() -> Molecule:
    """Chain A of 1IEP (c-Abl kinase domain) with its imatinib (STI) ligand, no waters."""
    mol = read_molecules(sample_path("1iep.pdb"), ligand="STI")[0]
    keep = mol.chains == "A"
    out = mol.subset(keep)
    out.name = "1IEP-A"
    return out


def kinase_params() -> FieldParams:
    """Element channels of the complex plus one channel for the ligand."""
    return FieldParams(resolution=96, channels="C,N,O,S,other,ligand:all")


def kinase_inhibitor() -> list[LayerData]:
    """1IEP chain A (Abl kinase) + imatinib as element and ligand channels at 96³."""

    view_in_3d()
    return molecule_layers(kinase_complex(), kinase_params())


def nmr_ensemble() -> list[LayerData]:
    """The 38 NMR models of the Trp-cage miniprotein 1L2Y as conformers (slider axis)."""
    mol = read_molecules(sample_path("1l2y.pdb"))[0]
    return molecule_layers(mol, FieldParams(resolution=48, channels="H,C,N,O"))


def freesolv_molecule() -> list[LayerData]:
    """Ibuprofen (a FreeSolv molecule) embedded from SMILES with RDKit ETKDG + MMFF."""
    from ..chem.smiles import from_smiles

    mol = from_smiles(IBUPROFEN, name="ibuprofen", seed=0)
    return molecule_layers(mol, FieldParams(resolution=64, channels="H,C,O"))


def nmr_interpolation() -> list[LayerData]:
    """The pre-fitted 1L2Y ensemble (10 NMR models, H,C,N,O): load it into the session's
    models and show item 0 decoded, as the Interpolate widget's layers (imports torch)."""
    from ..autodecoder.interpolate import interpolator
    from .layers import interpolation_layers, path_peaks
    from .session import MODELS

    name = MODELS.load(sample_path("1l2y_ensemble.safetensors"))
    model = MODELS.get(name)
    interp = interpolator(model, [0, model.n_items - 1], 48)
    view_in_3d()  # a volume: the default movie is a 3D view, not a slice
    ends = [0, model.n_items - 1]
    return interpolation_layers(interp.field(0.0), name, path_peaks(model, ends))


__all__ = ["freesolv_molecule", "kinase_inhibitor", "nmr_ensemble", "nmr_interpolation"]
