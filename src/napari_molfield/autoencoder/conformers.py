"""3D conformers of SMILES, embedded once (RDKit ETKDGv3 + MMFF94, seeded) and cached on disk.

Entries are ``.npz`` (coordinates, elements) or ``.json`` (the reason embedding failed),
keyed by the SHA-256 of the SMILES and the settings. No pickle is ever written or read.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import warnings
from pathlib import Path

import numpy as np

from ..chem.molecule import Molecule
from ..chem.smiles import from_smiles
from ..errors import MolfieldError
from ..fields.io import atomic_write

#: Version of the conformer recipe; part of the cache key.
CONFORMER_RECIPE = "etkdgv3+mmff94/v1"


def default_cache_dir() -> Path:
    """``$MOLFIELD_CACHE`` or ``~/.cache/napari-molfield``."""
    env = os.environ.get("MOLFIELD_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "napari-molfield"


def conformer_key(smiles: str, seed: int, optimize: bool = True, n_conformers: int = 1) -> str:
    """SHA-256 key of a SMILES and the embedding settings."""
    settings = {"smiles": smiles, "seed": int(seed), "optimize": bool(optimize),
                "recipe": CONFORMER_RECIPE}
    if int(n_conformers) != 1:  # one-conformer keys stay those of earlier caches
        settings["n_conformers"] = int(n_conformers)
    payload = json.dumps(settings, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()


def cached_conformer(
    smiles: str,
    *,
    name: str | None = None,
    seed: int = 0,
    cache_dir: str | os.PathLike[str] | None = None,
    optimize: bool = True,
    n_conformers: int = 1,
) -> Molecule:
    """3D conformer(s) of ``smiles``, embedded once and then read from the disk cache.

    ``n_conformers`` conformers (ETKDGv3, seeded) are stacked as ``coords[K, A, 3]``.

    Raises
    ------
    MolfieldError
        When RDKit cannot parse or embed the SMILES (the failure is cached too).
    """
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = conformer_key(smiles, seed, optimize, n_conformers)
    base = root / "conformers" / key[:2] / key
    npz, bad = base.with_suffix(".npz"), base.with_suffix(".json")
    if npz.is_file():
        try:
            with np.load(npz, allow_pickle=False) as z:
                return Molecule(
                    elements=[str(e) for e in z["elements"]],
                    coords=z["coords"],
                    name=name or str(z["smiles"]),
                    source=smiles,
                    smiles=str(z["smiles"]),
                )
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache entry: embed again
    if bad.is_file():
        try:
            raise MolfieldError(json.loads(bad.read_text())["error"])
        except (OSError, ValueError, KeyError):
            pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mol = from_smiles(smiles, n_conformers=int(n_conformers), seed=seed, name=name,
                              optimize=optimize)
    except MolfieldError as exc:
        _atomic_write(bad, json.dumps({"smiles": smiles, "error": str(exc)}).encode())
        raise
    buf = io.BytesIO()
    np.savez(buf, elements=np.array([str(e) for e in mol.elements], dtype="U3"),
             coords=mol.coords, smiles=np.array(mol.smiles or smiles))
    _atomic_write(npz, buf.getvalue())
    return mol


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


__all__ = ["CONFORMER_RECIPE", "cached_conformer", "conformer_key", "default_cache_dir"]
