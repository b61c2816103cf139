"""The fuzz harness: seeds from tests/data, seeded mutations, and one verdict per input.

Each input is a mutated copy of a real file, written to a fresh folder and given to the
reader its extension selects (`read_molecules`, `read_map`, `models.load`), optionally
through the napari reader entry points and ``molfield sample``. The reader must return a
valid result or raise one `MolfieldError` with a one-line message; any other exception,
a multi-line message, a warning that is not one line, a result with NaN coordinates,
a run over the time limit, a file left next to the input, or a CLI output left behind by
a failed command is a failure. `tests/fuzz/test_fuzz_readers.py` runs a few hundred inputs
in CI; ``benchmarks/fuzz_readers.py`` runs thousands.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import signal
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from napari_molfield.errors import MolfieldError

from .checkpoints import mutate_checkpoint
from .mutate import MRC_MUTATORS, RAW_MUTATORS, TEXT_MUTATORS, mutate

DATA = Path(__file__).resolve().parents[1] / "data"
PACKAGE_DATA = Path(__file__).resolve().parents[2] / "src" / "napari_molfield" / "data"
#: Seed files per format label: every format the readers take.
SEEDS: dict[str, tuple[str, ...]] = {
    "pdb": ("1iep_sti_pocket.pdb", "structures/elements.pdb", "structures/nucl_res.pdb",
            "structures/water_methane_acetic-acid_ammonia.pdb",
            "structures/adk_open_charmm.pdb.xz", "edge_cases/chains_repeat.pdb",
            "edge_cases/models_repeated_number.pdb", "edge_cases/models_no_endmdl.pdb",
            "edge_cases/cg_martini.pdb", "1l2y.pdb"),
    "mmcif": ("structures/1YJP.cif",),
    "pqr": ("structures/adk_open.pqr.xz",),
    "pdbqt": ("structures/tyrosol.pdbqt.bz2", "structures/pdbqt_inputpdbqt.pdbqt.bz2"),
    "gro": ("structures/adk_protein_ions.gro.xz",),
    "xyz": ("edge_cases/tyrosine.xyz",),
    "sdf": ("biotite_TYR.sdf", "freesolv_mobley_2078467.sdf", "structures/molecule.sdf"),
    "mol": ("edge_cases/tyrosine.mol",),
    "mol2": ("structures/Molecule.mol2", "structures/sodium_ion.mol2",
             "edge_cases/comment_header.mol2"),
    "smiles": ("edge_cases/molecules.smi",),
    "mrc": ("maps/test.ccp4", "maps/1jzv.ccp4", "maps/EMD-3001.map.bz2"),
    "dx": ("maps/test.dx", "maps/test.dx.gz"),
    "checkpoint": ("checkpoints/glycine_autodecoder.safetensors",
                   "checkpoints/glycine_deform.safetensors",
                   str(PACKAGE_DATA / "freesolv_ae.safetensors")),
}
_CODECS: dict[str, tuple[Callable[[bytes], bytes], Callable[[bytes], bytes]]] = {
    ".gz": (lambda b: gzip.compress(b, mtime=0), gzip.decompress),
    ".bz2": (bz2.compress, bz2.decompress),
    ".xz": (lzma.compress, lzma.decompress),
}
_MAP_FORMATS = ("mrc", "dx")
_OK = ("read", "refused")


class Hang(BaseException):  # not an Exception: no reader may catch it
    """Raised by the watchdog when one input runs over its time limit."""


@dataclass(frozen=True)
class Seed:
    """A real file: its format label, name, content (decompressed) and codec suffix."""

    fmt: str
    name: str
    data: bytes
    codec: str  # "", ".gz", ".bz2" or ".xz"


@dataclass(frozen=True)
class FuzzInput:
    """One mutated file: format, file name, bytes on disk, and how it was made."""

    fmt: str
    name: str
    data: bytes
    how: str


@dataclass
class Outcome:
    """What a reader did with one input."""

    status: str  # read, refused, or a failure: uncaught, multiline, hang, ...
    detail: str = ""
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status not in _OK


def load_seeds() -> list[Seed]:
    """Every seed file of `SEEDS`, decompressed."""
    out = []
    for fmt, names in SEEDS.items():
        for rel in names:
            raw = (DATA / rel).read_bytes()
            codec = next((c for c in _CODECS if rel.endswith(c)), "")
            data = _CODECS[codec][1](raw) if codec else raw
            out.append(Seed(fmt, Path(rel).name, data, codec))
    return out


def generate(n: int, seed: int = 0) -> Iterator[FuzzInput]:
    """``n`` inputs: first each seed unchanged, then mutations, formats taken in turn.

    Input ``i`` depends only on ``(seed, i)``.
    """
    seeds = load_seeds()
    for i in range(n):
        yield input_at(i, seed, seeds)


def input_at(i: int, seed: int, seeds: list[Seed]) -> FuzzInput:
    """Input ``i`` of `generate` (``seeds`` from `load_seeds`)."""
    if i < len(seeds):
        s = seeds[i]
        return FuzzInput(s.fmt, s.name, _encode(s.data, s.codec), "original")
    rng = np.random.default_rng([seed, i])
    group = [s for s in seeds if s.fmt == list(SEEDS)[i % len(SEEDS)]]
    s = group[int(rng.integers(len(group)))]
    return _mutant(s, seeds, rng)


def _mutant(s: Seed, seeds: list[Seed], rng: np.random.Generator) -> FuzzInput:
    binary = s.fmt == "mrc"
    mutators = MRC_MUTATORS if binary else TEXT_MUTATORS
    plain = s.name[: -len(s.codec)] if s.codec else s.name
    if s.fmt == "checkpoint":
        how, data = mutate_checkpoint(s.data, rng)
        return FuzzInput(s.fmt, s.name, data, how)
    if s.codec and rng.random() < 0.25:  # damage the compressed bytes themselves
        how, data = mutate(_encode(s.data, s.codec), rng, RAW_MUTATORS)
        return FuzzInput(s.fmt, s.name, data, f"{s.codec}:{how}")
    how, data = mutate(s.data, rng, mutators)
    codec = s.codec
    if not codec and rng.random() < 0.15:  # the same damage, compressed
        choices = (".gz", ".bz2") if s.fmt in _MAP_FORMATS else tuple(_CODECS)
        codec = choices[int(rng.integers(len(choices)))]
    name = plain + codec
    if rng.random() < 0.04:  # another format's content under this name
        other = seeds[int(rng.integers(len(seeds)))]
        how, data = f"content of {other.name}", other.data
    return FuzzInput(s.fmt, name, _encode(data, codec), how)


def _encode(data: bytes, codec: str) -> bytes:
    return _CODECS[codec][0](data) if codec else data


@contextlib.contextmanager
def watchdog(seconds: float | None) -> Iterator[None]:
    """Raise `Hang` in the main thread after ``seconds`` (None: no limit)."""
    if not seconds:
        yield
        return

    def ring(signum: int, frame: Any) -> None:
        raise Hang(f"over {seconds:g} s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def read_input(path: Path, fmt: str) -> Any:
    """The reader of ``fmt`` on ``path`` (what a user's call would do)."""
    if fmt in _MAP_FORMATS:
        from napari_molfield.fields.maps import read_map

        return read_map(path)
    if fmt == "checkpoint":
        from napari_molfield.models import load

        return load(path)
    from napari_molfield.chem import read_molecules

    return read_molecules(path)


def napari_read(path: Path, fmt: str) -> Any:
    """The napari reader entry point for ``path``: None when it declines the file."""
    if fmt in _MAP_FORMATS:
        from napari_molfield._napari._map_reader import get_map_reader as get
    elif fmt == "checkpoint":
        from napari_molfield._napari._model_reader import get_model_reader as get
    else:
        from napari_molfield._napari._reader import get_reader as get
    reader = get(str(path))
    return None if reader is None else reader(str(path))


def check_result(result: Any, fmt: str) -> str:
    """Why a returned result is wrong ("" when it is fine)."""
    if fmt in _MAP_FORMATS:
        ok = (result.values.ndim == 4 and np.isfinite(result.origin).all()
              and (np.asarray(result.voxel_size) > 0).all()
              and np.isfinite(np.asarray(result.voxel_size)).all())
        return "" if ok else "map with a bad grid"
    if fmt == "checkpoint" or result is None:
        return ""
    if not isinstance(result, list) or not result:
        return f"reader returned {type(result).__name__}"
    for mol in result:
        if mol.n_atoms < 1 or mol.coords.shape[1:] != (mol.n_atoms, 3):
            return f"molecule with coordinates {mol.coords.shape}"
        if not np.isfinite(mol.coords).all():
            return "NaN or infinite coordinates"
        if any(not isinstance(e, str) or not e for e in mol.elements):
            return "an element that is not a symbol"
    return ""


def check_layers(layers: Any) -> str:
    """Why napari layer data is wrong ("" when it is fine or the reader declined)."""
    if layers is None:
        return ""
    if not isinstance(layers, list) or not layers:
        return f"napari reader returned {type(layers).__name__}"
    for item in layers:
        if not (isinstance(item, tuple) and len(item) == 3 and isinstance(item[1], dict)):
            return "napari layer data that is not (data, meta, type)"
        parts = item[0] if item[2] == "surface" else (item[0],)  # (vertices, faces, values)
        for part in parts:
            data = np.asarray(part)
            if data.dtype.kind == "f" and not np.isfinite(data).all():
                return f"NaN or infinite values in a {item[2]} layer"
    return ""


def run_one(inp: FuzzInput, folder: Path, *, timeout: float | None = 60.0,
            via: str = "reader") -> Outcome:
    """Write ``inp`` into the empty ``folder`` and read it ``via`` ``"reader"`` (the
    library call), ``"napari"`` (the napari reader entry point) or ``"cli"``
    (``molfield sample … -o out.npz``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / inp.name
    path.write_bytes(inp.data)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with watchdog(timeout):
                if via == "cli":
                    out = _run_cli(path, folder)
                else:
                    if via == "napari":
                        bad = check_layers(napari_read(path, inp.fmt))
                    else:
                        bad = check_result(read_input(path, inp.fmt), inp.fmt)
                    out = Outcome("bad_result", bad) if bad else Outcome("read")
        except MolfieldError as exc:
            msg = str(exc)
            out = (Outcome("refused", msg) if msg.strip() and "\n" not in msg
                   else Outcome("multiline", repr(msg)))
        except Hang as exc:
            out = Outcome("hang", str(exc))
        except Exception as exc:  # the failures this harness is for
            tb = traceback.extract_tb(exc.__traceback__)
            where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
            out = Outcome("uncaught", f"{type(exc).__name__} at {where}: {exc}"[:300])
    out.seconds = time.perf_counter() - t0
    multi = [str(w.message) for w in caught if "\n" in str(w.message).strip()]
    if multi and not out.failed:
        out = Outcome("multiline_warning", multi[0][:300], out.seconds)
    left = sorted(p.name for p in folder.iterdir() if p.name != inp.name)
    if left and not out.failed and via != "cli":
        out = Outcome("side_files", ", ".join(left), out.seconds)
    return out


def _run_cli(path: Path, folder: Path) -> Outcome:
    """``molfield sample PATH -n 12 -o out.npz``: exit 0 with a whole output, or exit 2
    with one error line and no output."""
    from napari_molfield.cli.main import main

    target = folder / "out.npz"
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(["sample", str(path), "-n", "12", "-o", str(target)])
    lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
    errors = [ln for ln in lines if not ln.startswith(("molfield: warning:", "molfield: error:"))]
    extra = sorted(p.name for p in folder.iterdir() if p.name not in (path.name, "out.npz"))
    if rc == 0:
        if not target.is_file():
            return Outcome("no_output", "exit 0 without the output file")
        with np.load(target) as z:
            for key in z.files:  # a whole file reads back
                z[key]
        return Outcome("read")
    if rc != 2:
        return Outcome("uncaught", f"exit {rc}: {' | '.join(lines)[:300]}")
    if target.exists() or extra:
        return Outcome("partial_output", ", ".join(["out.npz"] * target.exists() + extra))
    if errors or sum(ln.startswith("molfield: error:") for ln in lines) != 1:
        return Outcome("multiline", " | ".join(lines)[:300])
    return Outcome("refused", lines[-1])
