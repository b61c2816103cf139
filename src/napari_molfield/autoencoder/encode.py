"""Encode molecules with a trained field auto-encoder; decode latents; checkpoints.

The API the napari widgets build on::

    model = load_default_model()                  # the shipped FreeSolv auto-encoder
    z = encode_molecules(model, molecules)        # [M, L] latents
    field = decode_latent(model, z[0], 64)        # Field on a 64³ grid of the shared box
    names, smiles, latents, props = dataset_latents(model)   # FreeSolv, with dG_hyd …
    ev = evaluate_molecules(model, molecules)     # PSNR per molecule (all / occupied channels)

Checkpoints are ``.safetensors`` files: tensors ``encoder.*``, ``siren.*``,
``dataset.latents`` (and ``optim.*`` for resuming) plus one JSON metadata entry
``molfield`` with ``kind = "autoencoder"``, the network shapes, channels, box, β, the
train/val/test split and the dataset's names, SMILES and properties. No pickle.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .chem.molecule import Molecule
from .errors import MolfieldError
from .fields.io import atomic_write

if TYPE_CHECKING:
    import torch

    from .fields.field import Field
    from .train import AEModel

#: File name of the shipped model inside the package's ``data`` folder.
DEFAULT_MODEL = "freesolv_ae.safetensors"
FORMAT = "napari-molfield/autoencoder"
KIND = "autoencoder"
META_KEY = "molfield"  # the same header key as the auto-decoder checkpoints
VERSION = 1


# ------------------------------------------------------------------------ checkpoints


def save_autoencoder(model: AEModel, path: str | os.PathLike[str], optimizer: Any = None
                     ) -> Path:
    """Write ``model`` (and optionally the optimiser state) atomically to ``path``."""
    from safetensors.torch import save_file

    from .train import optimizer_tensors

    path = Path(path)
    net = model.net
    tensors = {f"encoder.{k}": v for k, v in net.encoder.state_dict().items()}
    tensors |= {f"siren.{k}": v for k, v in net.siren.state_dict().items()}
    if model.dataset_latents is not None:
        import torch

        tensors["dataset.latents"] = torch.as_tensor(model.dataset_latents, dtype=torch.float32)
    if optimizer is not None:
        tensors |= optimizer_tensors(optimizer)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in tensors.items()}
    from . import __version__

    meta = {
        "format": FORMAT,
        "version": VERSION,
        "kind": KIND,
        "writer": f"napari-molfield {__version__}",
        "model": net.decoder_config.to_dict(),
        "encoder": net.encoder_config.to_dict(),
        "channels": list(model.channels),
        "resolution": model.resolution,
        "box_edge": model.box_edge,
        "beta": model.beta,
        "conformer_seed": model.conformer_seed,
        **{k: v for k, v in model.meta.items() if k not in ("format", "kind")},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata={META_KEY: json.dumps(meta)}))
    return path


def load_autoencoder(
    path: str | os.PathLike[str],
    *,
    device: str = "cpu",
    with_state: bool = False,
) -> Any:
    """Read a checkpoint written by :func:`save_autoencoder`.

    Returns
    -------
    AEModel, or ``(AEModel, optimiser tensors)`` with ``with_state``.

    Raises
    ------
    MolfieldError
        For a missing or damaged file, or a checkpoint of another kind.
    """
    from safetensors import SafetensorError, safe_open

    from .nn.config import ModelConfig
    from .nn.encoder import AutoEncoder, EncoderConfig
    from .nn.siren import pick_device
    from .train import AEModel

    path = Path(path)
    if not path.is_file():
        raise MolfieldError(f"{path.name}: no such model file ({path}).")
    try:
        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get(META_KEY)
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, ValueError) as exc:
        raise MolfieldError(f"{path.name}: not a readable safetensors file ({exc}).") from None
    try:
        meta = json.loads(raw or "")
    except ValueError:
        raise MolfieldError(f"{path.name}: no napari-molfield metadata.") from None
    if meta.get("kind") != KIND or meta.get("format") != FORMAT:
        if str(meta.get("format", "")).startswith("napari-molfield"):
            raise MolfieldError(
                f"{path.name} holds a fitted auto-decoder, not an auto-encoder: use "
                "`molfield decode` (or nn.checkpoint.load_model) for it."
            )
        raise MolfieldError(f"{path.name}: not a napari-molfield checkpoint.")
    if int(meta.get("version", 0)) > VERSION:
        raise MolfieldError(f"{path.name} was written by a newer napari-molfield "
                            f"(format version {meta['version']}): update napari-molfield.")
    net = AutoEncoder(EncoderConfig.from_dict(meta["encoder"]),
                      ModelConfig.from_dict(meta["model"]))
    try:
        net.encoder.load_state_dict(_strip(tensors, "encoder."))
        net.siren.load_state_dict(_strip(tensors, "siren."))
    except RuntimeError as exc:
        raise MolfieldError(f"{path.name}: weights do not match the stored shapes "
                            f"({str(exc).splitlines()[0]}).") from None
    net.to(pick_device(device)).eval()
    lat = tensors.get("dataset.latents")
    known = ("format", "version", "kind", "writer", "model", "encoder", "channels", "resolution",
             "box_edge", "beta", "conformer_seed")
    model = AEModel(
        net, tuple(meta["channels"]), int(meta["resolution"]), float(meta["box_edge"]),
        float(meta["beta"]), int(meta.get("conformer_seed", 0)),
        {k: v for k, v in meta.items() if k not in known},
        None if lat is None else lat.numpy(),
    )
    if with_state:
        return model, {k: v for k, v in tensors.items() if k.startswith("optim.")}
    return model


def _strip(tensors: dict[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def default_model_path() -> Path:
    """Path of the shipped FreeSolv auto-encoder inside the installed package."""
    from importlib.resources import files

    return Path(str(files("napari_molfield") / "data" / DEFAULT_MODEL))


def load_default_model(device: str = "cpu") -> AEModel:
    """The shipped FreeSolv auto-encoder (``data/freesolv_ae.safetensors``)."""
    path = default_model_path()
    if not path.is_file():
        raise MolfieldError(f"The shipped model {DEFAULT_MODEL} is missing from {path.parent}.")
    return load_autoencoder(path, device=device)


# --------------------------------------------------------------------------- molecules


def molecules_from(inputs: Sequence[str | os.PathLike[str] | Molecule], model: AEModel
                   ) -> tuple[list[Molecule], list[str]]:
    """Molecules from files, SMILES strings or `Molecule` objects; problems as text.

    SMILES are embedded as in training (cached ETKDGv3 + MMFF94 with the model's
    conformer seed). A file may be a dataset (FreeSolv, CSV, SMILES, SDF): bad rows are
    skipped and reported.
    """
    from .datasets import Record, load_dataset, prepare_molecule

    mols: list[Molecule] = []
    problems: list[str] = []
    for item in inputs:
        if isinstance(item, Molecule):
            rec = Record(0, item.name, item.smiles, dict(item.properties), item.conformer(0))
            m, probs = prepare_molecule(rec, channels=list(model.channels),
                                        box_edge=model.box_edge)
            problems += [f"{item.name}: {p.reason}" for p in probs]
        elif Path(item).exists() or Path(str(item)).suffix.lower() in (
            ".sdf", ".sd", ".smi", ".csv", ".txt", ".smiles", ".tsv"
        ):
            ds = load_dataset(item, channels=list(model.channels), box_edge=model.box_edge,
                              seed=model.conformer_seed)
            mols += ds.molecules
            problems += [f"{Path(item).name}: {p}" for p in ds.problems]
            continue
        else:
            rec = Record(0, str(item), str(item))
            m, probs = prepare_molecule(rec, channels=list(model.channels),
                                        box_edge=model.box_edge, seed=model.conformer_seed)
            problems += [f"{item}: {p.reason}" for p in probs]
        if m is not None:
            mols.append(m)
    return mols, problems


def _grids(model: AEModel, mols: Sequence[Molecule]) -> tuple[np.ndarray, Any]:
    from .datasets import field_inputs, normalised_grids

    inp = field_inputs(mols, list(model.channels), model.box_edge, model.beta)
    return normalised_grids(inp, model.resolution, model.beta), inp


def encode_molecules(model: AEModel, molecules: Sequence[Molecule | str],
                     batch: int = 32, refine_steps: int = 0) -> np.ndarray:
    """Latents ``[M, L]`` (float32) of molecules (or SMILES), first conformer each.

    With ``refine_steps > 0`` each encoder latent is then improved by that many Adam
    steps on the molecule's own exact field (network frozen; see :func:`refine_latents`).

    Raises
    ------
    MolfieldError
        When a molecule cannot be used (a SMILES RDKit cannot embed, a molecule larger
        than the box).
    """
    mols = _checked(model, molecules)
    import torch

    out = []
    with torch.no_grad():
        for a in range(0, len(mols), batch):
            g, _ = _grids(model, mols[a : a + batch])
            gt = torch.as_tensor(g, device=model.device)
            z = model.net.encode(gt)
            if refine_steps:
                z = refine_latents(model, gt, z, refine_steps)
            out.append(z.cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, model.latent_dim), np.float32)


def refine_latents(model: AEModel, grids: torch.Tensor, latents: torch.Tensor, steps: int,
                   lr: float = 1e-2, points: int = 4096, seed: int = 0) -> torch.Tensor:
    """Improve ``latents`` ``[B, L]`` by Adam steps on the MSE to ``grids`` (normalised
    ``[B, C, N, N, N]``) at ``points`` random voxels per step; the network is frozen."""
    import torch

    from .nn.pools import unit_grid

    net = model.net
    flags = [p.requires_grad for p in net.parameters()]
    for p in net.parameters():
        p.requires_grad_(False)
    coords = torch.as_tensor(unit_grid(model.resolution), dtype=torch.float32,
                             device=latents.device)
    target = grids.flatten(2).transpose(1, 2)  # [B, N³, C]
    gen = torch.Generator().manual_seed(seed)
    z = latents.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    try:
        with torch.enable_grad():
            for _ in range(int(steps)):
                idx = torch.randint(0, coords.shape[0], (z.shape[0], points), generator=gen)
                idx = idx.to(z.device)
                y = torch.gather(target, 1, idx[..., None].expand(-1, -1, target.shape[2]))
                loss = torch.mean((net.siren(coords[idx], z) - y) ** 2)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
    finally:
        for p, f in zip(net.parameters(), flags, strict=True):
            p.requires_grad_(f)
    return z.detach()


def _checked(model: AEModel, molecules: Sequence[Molecule | str]) -> list[Molecule]:
    mols, problems = molecules_from(list(molecules), model)
    hard = [p for p in problems if "have no channel" not in p]
    if hard or len(mols) != len(molecules):
        raise MolfieldError("Cannot encode: " + "; ".join(hard or problems))
    return mols


def decode_latent(
    model: AEModel,
    latent: np.ndarray | torch.Tensor,
    resolution: int = 64,
    *,
    centre: Sequence[float] = (0.0, 0.0, 0.0),
    scale: np.ndarray | None = None,
    chunk: int = 65536,
) -> Field:
    """Decode one latent ``[L]`` on a ``resolution³`` grid of the shared box.

    Values are on the normalised scale (each channel's peak ≈ 1); pass a molecule's
    ``scale`` (``[C]`` channel peaks) to get Eq. 1 units. ``centre`` places the box, Å.
    """
    import torch

    from .fields.box import Box
    from .fields.field import Field

    box = Box(tuple(float(c) for c in centre), model.box_edge)
    z = torch.as_tensor(np.asarray(latent, dtype=np.float32), device=model.device).reshape(1, -1)
    if z.shape[1] != model.latent_dim:
        raise MolfieldError(f"A latent of length {z.shape[1]}; the model needs "
                            f"{model.latent_dim}.")
    n = int(resolution)
    grid = torch.as_tensor(Box((0.0, 0.0, 0.0), 2.0).grid_points(n).reshape(-1, 3),
                           dtype=torch.float32, device=model.device)
    with torch.no_grad():
        vals = model.net.decode(z, grid, chunk=chunk)[0].T.reshape(-1, n, n, n)
    values = vals.cpu().numpy()
    if scale is not None:
        values = values * np.asarray(scale, dtype=np.float32)[:, None, None, None]
    meta = {"beta": model.beta, "channels": list(model.channels), "resolution": n,
            "box": box.to_dict(), "normalised": scale is None, "source": "autoencoder"}
    return Field(values, box.origin(n), box.spacing(n), model.channels, box, meta)


def evaluate_molecules(model: AEModel, molecules: Sequence[Molecule | str],
                       batch: int = 16, refine_steps: int = 0) -> dict[str, Any]:
    """PSNR of encode → decode against Eq. 1 at the training grid, per molecule.

    ``refine_steps`` as in :func:`encode_molecules` (0: the encoder alone).

    Returns
    -------
    dict
        ``psnr`` and ``psnr_occupied`` (means over molecules, dB), ``per_molecule``
        (``[M]`` arrays ``psnr``/``psnr_occupied``), ``latents`` ``[M, L]``. PSNR uses
        MAX = 1 on peak-normalised fields and one MSE over all voxels of all channels
        (``psnr``) or of the channels the molecule occupies (``psnr_occupied``).
    """
    import torch

    from .nn.pools import unit_grid

    mols = _checked(model, molecules)
    was = model.net.training
    model.net.eval()
    grid = torch.as_tensor(unit_grid(model.resolution), dtype=torch.float32,
                           device=model.device)
    all_p, occ_p, lats = [], [], []
    with torch.no_grad():
        for a in range(0, len(mols), batch):
            g, inp = _grids(model, mols[a : a + batch])
            gt = torch.as_tensor(g, device=model.device)
            z = model.net.encode(gt)
            if refine_steps:
                z = refine_latents(model, gt, z, refine_steps)
            pred = model.net.decode(z, grid).transpose(1, 2)  # [B, C, N³]
            err = ((pred - gt.flatten(2)) ** 2).mean(dim=2).double().cpu().numpy()  # [B, C]
            all_p.append(_db(err.mean(axis=1)))
            occ = inp.occupied
            occ_p.append(_db((err * occ).sum(axis=1) / np.maximum(occ.sum(axis=1), 1)))
            lats.append(z.cpu().numpy())
    model.net.train(was)
    p, po = np.concatenate(all_p), np.concatenate(occ_p)
    return {"psnr": float(p.mean()), "psnr_occupied": float(po.mean()),
            "per_molecule": {"psnr": p, "psnr_occupied": po},
            "latents": np.concatenate(lats), "names": [m.name for m in mols]}


def _db(mse: np.ndarray) -> np.ndarray:
    return 10 * np.log10(1.0 / np.maximum(mse, 1e-20))


# ---------------------------------------------------------------------------- dataset


def dataset_latents(model: AEModel) -> tuple[list[str], list[str], np.ndarray,
                                              dict[str, np.ndarray]]:
    """The training dataset's ``(names, smiles, latents [M, L], properties)``.

    Properties hold the dataset's numeric columns (FreeSolv: ``dG_hyd`` …), the RDKit
    :data:`~napari_molfield.chem.smiles.DESCRIPTOR_NAMES` and ``split`` (0 train, 1 val,
    2 test) for colouring a latent map. Latents stored in the checkpoint are used;
    otherwise they are recomputed from the SMILES (cached conformers).
    """
    ds = model.meta.get("dataset")
    if not ds:
        raise MolfieldError("This model stores no dataset.")
    names, smiles = list(ds["names"]), list(ds["smiles"])
    lat = model.dataset_latents
    if lat is None or len(lat) != len(names):
        from .datasets import cached_conformer

        mols = [cached_conformer(s, name=n, seed=model.conformer_seed)
                for n, s in zip(names, smiles, strict=True)]
        lat = encode_molecules(model, mols)
    props = {k: np.asarray(v, dtype=np.float64) for k, v in ds.get("properties", {}).items()}
    props |= descriptor_table(smiles)
    split = model.meta.get("split", {})
    where = {n: i for i, part in enumerate(("train", "val", "test")) for n in split.get(part, [])}
    props["split"] = np.array([where.get(n, -1) for n in names], dtype=np.float64)
    return names, smiles, np.asarray(lat, dtype=np.float32), props


def descriptor_table(smiles: Sequence[str | None]) -> dict[str, np.ndarray]:
    """RDKit descriptors (MolMR, ExactMolWt, TPSA, MolLogP, NumRotatableBonds) per SMILES;
    NaN where a SMILES is missing or unparsable."""
    from .chem.smiles import DESCRIPTOR_NAMES, descriptors

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


__all__ = [
    "DEFAULT_MODEL",
    "dataset_latents",
    "decode_latent",
    "default_model_path",
    "descriptor_table",
    "encode_molecules",
    "evaluate_molecules",
    "load_autoencoder",
    "load_default_model",
    "molecules_from",
    "refine_latents",
    "save_autoencoder",
]
