"""What the sub-commands share: molecule inputs, field options, progress display."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import MolfieldError
from ..fields.metrics import FieldReport

#: Seconds between progress lines when stderr is not a terminal (a log file).
LOG_INTERVAL = 10.0


def add_field_args(p: argparse.ArgumentParser, resolution: int = 64) -> None:
    """Options that decide a field: resolution, β, channels, split, padding, H, ligand."""
    p.add_argument("--resolution", "-n", type=int, default=resolution, help="voxels per edge")
    p.add_argument("--beta", type=float, help="Gaussian sharpness β of Eq. 1")
    p.add_argument("--channels", help="comma-separated channels, e.g. H,C,N,O,other")
    p.add_argument("--split", action="store_true", help="ligand/protein copies of each channel")
    p.add_argument("--padding", type=float, default=4.0, help="box padding around atoms, Å")
    p.add_argument("--add-hydrogens", action="store_true", help="add H when the file has none")
    p.add_argument("--ligand", help="residue name(s) of the ligand, e.g. STI or STI,ATP "
                   "(default: the largest non-polymer, non-water, non-ion residue)")
    t = p.add_argument_group("MD trajectories (needs napari-molfield[md])")
    t.add_argument("--trajectory", nargs="+", metavar="TRAJ",
                   help="trajectory file(s) (DCD, XTC, TRR …) of the topology given as input")
    t.add_argument("--frames", metavar="START:STOP:STEP",
                   help="frames to read, Python slice syntax (e.g. ::10, 100:200)")
    t.add_argument("--select", default="all", help="MDAnalysis atom selection (default all)")
    t.add_argument("--keep-waters", action="store_true", help="keep water molecules")


def load_trajectory(args: argparse.Namespace, topology: str) -> Any:
    """The trajectory of ``args`` (``--trajectory``, ``--frames``, ``--select``) as one
    `Molecule` whose conformers are the frames."""
    from ..chem.trajectory import parse_frames, read_trajectory

    start, stop, step = parse_frames(args.frames)
    return read_trajectory(topology, args.trajectory, start=start, stop=stop, step=step,
                           select=args.select, ligand=args.ligand,
                           keep_waters=args.keep_waters)


def looks_like_file(text: str) -> bool:
    """Whether ``text`` names a molecule file (it exists, or ends in a known extension).

    Anything else is a SMILES, including salts and mixtures such as ``CCO.O``.
    """
    from ..chem.readers import SUPPORTED_EXTENSIONS

    if Path(text).exists():
        return True
    name = text.lower()
    return any(name.endswith(ext) for ext in SUPPORTED_EXTENSIONS)


def load_input(text: str, ligand: str | None = None) -> list[Any]:
    """Molecules from a file path, or from a SMILES string when it names no file."""
    if looks_like_file(text):
        from ..chem.readers import read_molecules

        kwargs = {"ligand": ligand} if ligand else {}
        return read_molecules(text, **kwargs)
    from ..chem.smiles import from_smiles

    return [from_smiles(text)]


def load_inputs(texts: list[str], ligand: str | None = None) -> list[Any]:
    """Molecules from files or SMILES, or density maps (`Field`) from map files.

    Maps and molecules cannot be mixed in one command.
    """
    from ..fields.maps import map_format, read_map

    is_map = [map_format(t) is not None for t in texts]
    if any(is_map) and not all(is_map):
        raise MolfieldError("Give molecules or density maps, not both at once.")
    if all(is_map):
        return [read_map(t) for t in texts]
    return [m for t in texts for m in load_input(t, ligand)]


class LineProgress:
    """A progress display for logs: one line every `LOG_INTERVAL` seconds and at the end
    (tqdm's carriage-return stream makes one enormous line in a file)."""

    def __init__(self, total: int | None, desc: str, disable: bool = False) -> None:
        self.total, self.desc, self.disable = total, desc, disable
        self.n = 0
        self.postfix: dict[str, str] = {}
        self._t0 = self._last = time.perf_counter()

    def set_postfix(self, post: dict[str, str], refresh: bool = False) -> None:
        """Values shown after the step count."""
        self.postfix = dict(post)

    def refresh(self) -> None:
        """Print a line if `LOG_INTERVAL` has passed since the last one."""
        now = time.perf_counter()
        if now - self._last >= LOG_INTERVAL:
            self._last = now
            self._print(now)

    def close(self) -> None:
        """The final line."""
        self._print(time.perf_counter())
        self.disable = True

    def _print(self, now: float) -> None:
        if self.disable:
            return
        total = f"/{self.total}" if self.total else ""
        post = ", ".join(f"{k} {v}" for k, v in self.postfix.items())
        print(f"{self.desc}: step {self.n}{total} at {now - self._t0:.0f} s"
              + (f", {post}" if post else ""), file=sys.stderr, flush=True)


def progress_bar(total: int | None, desc: str, disable: bool = False) -> Any:
    """A tqdm bar on a terminal, a `LineProgress` otherwise (steps as units)."""
    if not sys.stderr.isatty():
        return LineProgress(total, desc, disable)
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="step", dynamic_ncols=True, file=sys.stderr,
                mininterval=0.5, disable=disable)


def show_step(bar: Any, step: int, loss: float, psnr_label: str, psnr: float | None) -> None:
    """Move ``bar`` to ``step`` and show the loss (and a PSNR when one was measured)."""
    bar.n = step
    post = {"loss": f"{loss:.2e}"}
    if psnr is not None:
        post[psnr_label] = f"{psnr:.1f} dB"
    bar.set_postfix(post, refresh=False)
    bar.refresh()


def run_fit(run: Any, total: int | None, desc: str) -> Any:
    """Drive a fit generator with a progress display; the last progress record (its
    ``model`` is the fitted model)."""
    bar = progress_bar(total, desc)
    last, stage = None, "fit"
    try:
        for last in run:
            now = getattr(last, "stage", "fit")  # a deformable fit's held-out stage
            if now == "done":
                continue
            if now != stage:
                bar.close()
                bar, stage = progress_bar(last.steps, f"{desc}: {now} latents"), now
            show_step(bar, last.step, last.loss, "PSNR", last.psnr)
    finally:
        bar.close()
    if last is None:
        raise MolfieldError("The fit did not start.")
    return last


def mean_report(reports: list[FieldReport]) -> FieldReport:
    """The mean of several `field_report` reports (`FieldReport.mean`)."""
    return FieldReport.mean(reports)


def add_refine_arg(p: argparse.ArgumentParser) -> None:
    """The ``--refine STEPS`` option of the commands that encode known molecules."""
    p.add_argument("--refine", type=int, metavar="STEPS",
                   help="optimise each encoder latent on the molecule's own field for this "
                   "many steps, the decoder frozen (default: a short refinement, "
                   "autoencoder.encode.DEFAULT_REFINE_STEPS; 0: the encoder alone)")


def refine_steps(args: argparse.Namespace) -> int:
    """``--refine``, or the library's default."""
    from ..autoencoder.encode import DEFAULT_REFINE_STEPS

    steps = DEFAULT_REFINE_STEPS if args.refine is None else int(args.refine)
    if steps < 0:
        raise MolfieldError(f"--refine {steps}: give 0 or more steps.")
    return steps
