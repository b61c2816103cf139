"""Jobs of the Interpolate widget, run in its workers (Qt-free): building the path's
interpolator, decoding a frame (with a deformable model's atoms), the movie's frames,
recovering a frame's atoms and writing atom frames; parsing the via items."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...errors import MolfieldError
from ..layers import LayerData, atoms_layer, interpolation_layers
from .decode import recovered_layer

if TYPE_CHECKING:
    from ...fields.field import Field
    from ...interpolation.base import LatentPath

#: Grid on which the atoms of a frame are first located (refined on the network).
ATOMS_RESOLUTION = 48


def export_frames(model: Any, keys: list[int], resolution: int, mode: str,
                   n: int) -> Any:
    """Decode the movie's frames (a worker generator; each frame its own field, with its
    atoms when the path moves them)."""
    # its own interpolator and buffers: a slider decode still running cannot interfere
    interp = make_interpolator(model, keys, resolution, mode)
    for field in interp.frames(n):  # every field holds a fresh values array
        t = float(field.meta["t"])
        yield field, (interp.atoms(t) if interp.moves_atoms else None)


def parse_items(text: str) -> list[int]:
    """``"1, 2, 5"`` → ``[1, 2, 5]`` (empty → ``[]``)."""
    try:
        return [int(p) for p in text.replace(";", ",").split(",") if p.strip()]
    except ValueError:
        raise MolfieldError(f"Via items {text!r}: write item numbers like 1, 2, 5.") from None


def moves_atoms(model: Any) -> bool:
    """Whether a model's interpolation moves atoms (a deformable model)."""
    from ...models import DEFORMABLE, kind_of

    return kind_of(model) == DEFORMABLE


def make_interpolator(model: Any, keys: list[int], resolution: int, mode: str
                      ) -> LatentPath:
    """The interpolator of a session model, whatever its kind (one interface,
    `interpolation.base.LatentPath`; ``moves_atoms`` for a deformable model)."""
    from ...models import interpolator

    return interpolator(model, keys, resolution, mode=mode)


def build_interpolator(model: Any, keys: list[int], key: tuple) -> Any:
    _name, _id, _keys, mode, resolution = key
    return make_interpolator(model, keys, resolution, mode)


def decode_frame(
    interp: Any, model: Any, keys: list[int], key: tuple, t: float,
    scrub_key: tuple | None = None, model_name: str | None = None, peaks: Any = None,
    preview: bool = False, atoms_wanted: bool = True,
) -> tuple[Any, tuple, Field, float, Any, tuple | None, list[LayerData] | None]:
    """Build the interpolator if the settings changed, then decode frame ``t`` and, for a
    deformable model, its atoms (worker). With ``scrub_key`` the interpolator a dragged
    slider will use is built too, after the frame (a deformable protein's takes ~1 s:
    the first drag then shows frames at once); it is returned as ``(scrub_key, it)``.
    With ``model_name`` the frame's layer data (`interpolation_layers`: its iso-surfaces
    too, 0.1–0.3 s for a protein) is built here rather than on the Qt thread; a
    ``preview`` (a dragged slider's frame) is its surface alone (`interpolation_layers`),
    without atoms unless ``atoms_wanted`` (their layer is shown: solving for a protein's
    atoms costs more than its preview field)."""
    import time

    if interp is None:
        interp = build_interpolator(model, keys, key)
    t0 = time.perf_counter()
    field = interp.field(t)
    atoms = interp.atoms(t) if interp.moves_atoms and (atoms_wanted or not preview) else None
    seconds = time.perf_counter() - t0
    layers = (None if model_name is None
              else interpolation_layers(field, model_name, peaks, preview=preview))
    scrub = None if scrub_key is None else (scrub_key, build_interpolator(model, keys, scrub_key))
    return interp, key, field, seconds, atoms, scrub, layers


def recover_frame(interp: Any, model: Any, keys: list[int], key: tuple, t: float,
                   group: str, label: str) -> tuple[Any, Any]:
    """Atoms of an auto-decoder's frame ``t`` refined on the network at its latent, in the
    frame of the nearest key item (worker)."""
    from ...atoms.models import atoms_from_model

    if interp is None:
        interp = build_interpolator(model, keys, key)
    nearest = keys[round(min(max(t, 0.0), 1.0) * (len(keys) - 1))]
    n = min(int(key[-1]), ATOMS_RESOLUTION)
    result = atoms_from_model(model, nearest, n, latent=interp.latent(t))
    return result, recovered_layer(result, group, label)


def write_frames(interp: Any, model: Any, keys: list[int], key: tuple, path: Path,
                  n: int) -> Path:
    """A deformable model's atoms at ``n`` even frames as a multi-model PDB (worker)."""
    if interp is None:
        interp = build_interpolator(model, keys, key)
    return interp.write_atoms(path, n)


def frame_atoms_layer(model: Any, coords: Any, group: str, name: str) -> LayerData:
    """The points layer data of a deformable model's atoms at one frame (``coords`` Å)."""
    from ...chem.molecule import Molecule

    mol = model.molecule()
    frame = Molecule(mol.elements, coords[None], name=mol.name, atom_names=mol.atom_names,
                     residue_names=mol.residue_names, residue_numbers=mol.residue_numbers,
                     chains=mol.chains, hetero=mol.hetero, ligand_mask=mol.ligand_mask,
                     source=mol.source)
    layer = atoms_layer(frame, group, name)
    layer[1]["metadata"]["molfield"]["derived"] = "interpolation"  # not a molecule to fit
    return layer


def frame_label(name: str) -> str:
    """A frame's segment for the status line: ``"AdK: closed → open (0.50)"`` for the
    ``"AdK [closed] → AdK [open] (0.50)"`` of two conformers of one molecule."""
    import re

    m = re.fullmatch(r"(.+) \[(.+)\] → \1 \[(.+)\] \((.+)\)", name)
    return f"{m[1]}: {m[2]} → {m[3]} ({m[4]})" if m else name
