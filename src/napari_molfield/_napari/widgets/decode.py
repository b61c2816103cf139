"""The Decode widget: a fitted model's field at any resolution, against the analytic truth.

Decoding, the truth, the error, the isosurface and the layer data are all computed in a
worker; the Qt thread only swaps the new arrays into the result's layers (one bounded
set per model item, replaced in place). One decode runs at a time: clicks while it runs
leave only the newest request waiting.

"Atoms" recovers the item's atoms from the field (refined on the network itself for an
auto-decoder) in a worker and shows them as one points layer coloured by element,
replaced by the next recovery; "Save atoms" writes them as SDF/PDB/MOL/XYZ (in a worker).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import (
    CheckBox,
    ComboBox,
    Container,
    FileEdit,
    FloatSpinBox,
    Label,
    LineEdit,
    PushButton,
    SpinBox,
)

from ... import models
from ...errors import MolfieldError
from ...fields.metrics import FieldReport, field_report
from ..layers import FieldParams, LayerData, decoded_layers, field_layers, recovered_layer
from ..session import MODELS
from ..workers import JobRunner
from .common import (
    ScrollingDock,
    enable_scale_bar,
    hidden_note,
    replace_group_layers,
    show_result,
    wrapping_label,
)

if TYPE_CHECKING:
    import napari

#: Decodes above this many bytes of output are refused by the widget.
MAX_DECODE_BYTES = 4 * 1024**3
#: Grid on which atoms are first located (refinement then works on the network itself).
ATOMS_RESOLUTION = 48
#: Role tag of the recovered atoms' layer group.
RECOVERED_GROUP = "recovered"


@dataclass
class DecodeResult:
    """What a decode job hands back to the Qt thread."""

    decoded: Any
    truth: Any | None
    psnr: FieldReport | None
    seconds: float
    surface: tuple[np.ndarray, np.ndarray] | None
    layers: list[LayerData] | None = None


def parse_sub_box(text: str, n: int) -> list[tuple[int, int]] | None:
    """``"0:32, 8:40, 0:64"`` → voxel index ranges along x, y, z (empty → whole box)."""
    text = text.strip()
    if not text:
        return None
    parts = [p.strip() for p in text.split(",")]
    try:
        ranges = [tuple(int(v) for v in p.split(":")) for p in parts]
    except ValueError:
        msg = f"Sub-box {text!r}: write three ranges like 0:32, 8:40, 0:64."
        raise MolfieldError(msg) from None
    if len(ranges) != 3 or any(len(r) != 2 or not 0 <= r[0] < r[1] <= n for r in ranges):
        raise MolfieldError(f"Sub-box {text!r}: three ranges lo:hi with 0 ≤ lo < hi ≤ {n}.")
    return [(int(a), int(b)) for a, b in ranges]


def run_decode(model: Any, item: int, resolution: int, sub_box: Any, with_truth: bool,
               iso_level: float | None, error: bool = False,
               group: str | None = None) -> DecodeResult:
    """Decode (and optionally sample the truth and an isosurface); runs in a worker.

    With ``group`` the napari layer data are built here too (`result_layers`).
    """
    t0 = time.perf_counter()
    decoded = models.decode(model, item, resolution, sub_box=sub_box)
    seconds = time.perf_counter() - t0
    truth = value = None
    if with_truth:
        truth = models.truth(model, item, resolution, sub_box=sub_box)
        value = field_report(decoded.values, truth.values)
    surface = None
    if iso_level is not None:
        from skimage.measure import marching_cubes

        total = decoded.values.sum(axis=0)
        if total.min() < iso_level < total.max():
            verts, faces, _, _ = marching_cubes(total, iso_level)
            surface = (verts * decoded.spacing + decoded.origin, faces)
    result = DecodeResult(decoded, truth, value, seconds, surface)
    if group is not None:
        result.layers = result_layers(result, model, item, group, error)
    return result


def result_layers(r: DecodeResult, model: Any, item: int, group: str,
                  error: bool) -> list[LayerData]:
    """Layer data of a decode: occupied channels, the error (max over channels) and the
    isosurface, all in Å (Qt-free; the worker builds them)."""
    label = f"{model.item_names[item]} decoded"
    layers = decoded_layers(r.decoded, model, item, group, label)
    if error and r.truth is not None:
        err = r.decoded.__class__(
            np.abs(r.decoded.values - r.truth.values).max(axis=0, keepdims=True),
            r.decoded.origin, r.decoded.spacing, ("error",), r.decoded.box,
        )
        err_params = FieldParams(resolution=r.decoded.resolution[0], channels="error",
                                 drop_empty=False)
        (err_layer,) = field_layers([err], None, err_params, group, name=label, role="error",
                                    peaks=[max(float(err.values.max()), 1e-6)])
        err_layer[1]["colormap"] = "inferno"  # black = no error: invisible when additive
        layers.append(err_layer)
    if r.surface is not None:
        verts, faces = r.surface
        layers.append((
            (verts, faces),
            {"name": f"{label} isosurface", "opacity": 0.6, "colormap": "cyan",
             "units": ("angstrom",) * 3,
             "metadata": {"molfield": {"group": group, "role": "surface"}}},
            "surface",
        ))
    return layers


def recover_atoms(model: Any, item: int, resolution: int, group: str,
                  label: str) -> tuple[Any, LayerData]:
    """Atoms of ``item`` and their points layer (Å, coloured by element); runs in a worker.

    The atoms are refined on the network itself, for every model kind (`models.atoms`).
    """
    result = models.atoms(model, item, resolution)
    return result, recovered_layer(result, group, label)


def save_atoms(result: Any, path: str | Any) -> Any:
    """`write_atoms` (a worker's job; the suffix picks SDF, PDB, MOL or XYZ)."""
    from ...atoms import write_atoms

    return write_atoms(result, path)


class DecodeWidget(ScrollingDock, Container):
    """Decode a model item at any resolution; PSNR, error layer and isosurface on demand."""

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        self.viewer = viewer
        self.model = ComboBox(label="model", choices=lambda _w=None: MODELS.names())
        self.item = ComboBox(label="item", choices=self._item_choices)
        self.resolution = SpinBox(label="resolution", value=64, min=4, max=1024, step=8)
        self.memory = Label(value="")
        self.sub_box = LineEdit(label="sub-box (voxels)", value="")
        self.sub_box.tooltip = "Optional i0:i1, j0:j1, k0:k1 of the N³ grid; empty = whole box"
        self.truth = CheckBox(label="PSNR vs analytic truth", value=True)
        self.error = CheckBox(label="error layer |decoded − truth|", value=False)
        self.iso = CheckBox(label="isosurface", value=False)
        self.iso_level = FloatSpinBox(label="iso level", value=0.3, min=0.001, max=10.0,
                                      step=0.05)
        self.run = PushButton(text="Decode")
        self.atoms_button = PushButton(text="Atoms")
        self.atoms_button.tooltip = ("Recover the item's atoms from its field (points "
                                     "coloured by element; bonds for the saved file)")
        self.atoms_path = FileEdit(label="atoms file", mode="w",
                                   filter="*.sdf *.pdb *.mol *.xyz", value="atoms.sdf")
        self.save_atoms_button = PushButton(text="Save atoms…")
        self.status = wrapping_label(Label(value=""), lines=4)
        super().__init__(widgets=[
            self.model, self.item, self.resolution, self.memory, self.sub_box, self.truth,
            self.error, self.iso, self.iso_level, self.run, self.atoms_button,
            self.atoms_path, self.save_atoms_button, self.status,
        ], scrollable=True)
        self.pack_top()
        self.runner = JobRunner()
        self.atoms_runner = JobRunner()
        self.last: DecodeResult | None = None
        self.recovered: Any = None
        self.saved: Any = None
        self.run.changed.connect(self.decode)
        self.atoms_button.changed.connect(lambda _=None: self.recover())
        self.save_atoms_button.changed.connect(lambda _=None: self.save_atoms())
        self.model.changed.connect(lambda _=None: self.item.reset_choices())
        self.resolution.changed.connect(self._update_memory)
        self.sub_box.changed.connect(self._update_memory)
        self.truth.changed.connect(self._update_memory)
        self.error.changed.connect(self._update_memory)
        self.model.changed.connect(self._update_memory)
        MODELS.changed.connect(self._models_changed)
        self.native.destroyed.connect(lambda *_: MODELS.changed.disconnect(self._models_changed))
        enable_scale_bar(viewer)
        self._models_changed()

    def _models_changed(self) -> None:
        self.model.reset_choices()
        if MODELS.names() and self.model.value is None:
            self.model.value = MODELS.names()[-1]
        self.item.reset_choices()
        self._update_memory()

    def _item_choices(self, _widget: Any = None) -> list[tuple[str, int]]:
        if self.model.value is None or self.model.value not in MODELS:
            return []
        items = MODELS.get(self.model.value).items
        return [(f"{i}: {it['name']}", i) for i, it in enumerate(items)]

    def estimate_bytes(self) -> int:
        """Bytes of the decoded grid or sub-box (and as much again for truth and error)."""
        if self.model.value is None or self.model.value not in MODELS:
            return 0
        c = len(MODELS.get(self.model.value).channels)
        n = int(self.resolution.value)
        try:
            sub = parse_sub_box(self.sub_box.value, n)
        except MolfieldError:
            sub = None
        voxels = n**3 if sub is None else int(np.prod([hi - lo for lo, hi in sub]))
        copies = 3 if self.error.value else 2 if self.truth.value else 1
        return c * voxels * 4 * copies

    def _update_memory(self, _event: Any = None) -> None:
        b = self.estimate_bytes()
        warn = " — too large" if b > MAX_DECODE_BYTES else ""
        self.memory.value = f"≈ {b / 1024**2:,.0f} MiB{warn}"

    def decode(self) -> Any:
        """Decode in a worker; while one runs, the newest request waits for it to end."""
        if self.model.value is None:
            self.status.value = "No model yet: fit one or load a checkpoint (Models)."
            return None
        if self.estimate_bytes() > MAX_DECODE_BYTES:
            self.status.value = (
                f"{self.resolution.value}³ needs ≈ {self.estimate_bytes() / 1024**3:.1f} GiB: "
                "lower the resolution or decode a sub-box."
            )
            return None
        name, item, n = self.model.value, int(self.item.value or 0), int(self.resolution.value)
        try:
            sub = parse_sub_box(self.sub_box.value, n)
        except MolfieldError as exc:
            self.status.value = str(exc)
            return None
        model = MODELS.get(name)
        queued = self.runner.running
        self.status.value = (f"Decoding {n}³ after the running decode …" if queued
                             else f"Decoding {n}³ …")
        need_truth = bool(self.truth.value or self.error.value)
        level = float(self.iso_level.value) if self.iso.value else None
        group = f"decode:{name}:{item}"
        return self.runner.submit(
            run_decode, model, item, n, sub, need_truth, level, bool(self.error.value), group,
            on_return=lambda r: self._show(name, group, r),
            on_error=self._failed,
        )

    def _failed(self, exc: BaseException) -> None:
        self.status.value = f"Failed: {exc}"

    # ------------------------------------------------------------------ atoms

    def recover(self) -> Any:
        """Recover the chosen item's atoms in a worker; they replace the last ones shown
        for that item. Returns the worker (None when queued or nothing to do)."""
        if self.model.value is None or self.model.value not in MODELS:
            self.status.value = "No model yet: fit one or load a checkpoint (Models)."
            return None
        name, item = self.model.value, int(self.item.value or 0)
        model = MODELS.get(name)
        n = min(int(self.resolution.value), ATOMS_RESOLUTION)
        group = f"{RECOVERED_GROUP}:{name}:{item}"
        label = f"{model.item_names[item]} recovered"
        self.status.value = f"Recovering the atoms of {model.item_names[item]} …"
        return self.atoms_runner.submit(
            recover_atoms, model, item, n, group, label,
            on_return=lambda r: self._show_atoms(name, group, r),
            on_error=self._failed,
        )

    def _show_atoms(self, name: str, group: str, r: tuple[Any, LayerData]) -> None:
        result, layer = r
        self.recovered = result
        if name not in MODELS:  # forgotten meanwhile
            return
        replace_group_layers(self.viewer, group, [layer], roles=("atoms",))
        self.status.value = f"{result.summary()} ({result.seconds:.1f} s)"

    def save_atoms(self, path: Any = None) -> Any:
        """Write the last recovered atoms (SDF/PDB/MOL/XYZ by suffix) in a worker; the
        file written ends up in :attr:`saved`. Returns the worker."""
        if self.recovered is None:
            self.status.value = "No atoms yet: press Atoms first."
            return None
        path = path if path is not None else self.atoms_path.value
        self.saved = None
        summary = self.recovered.summary()

        def done(out: Any) -> None:
            self.saved = out
            self.status.value = f"{summary} → {out}"

        return self.atoms_runner.submit(save_atoms, self.recovered, path, on_return=done,
                                        on_error=self._failed)

    def _show(self, name: str, group: str, r: DecodeResult) -> None:
        self.last = r
        if name not in MODELS or r.layers is None:  # forgotten while decoding
            return
        kept = replace_group_layers(self.viewer, group, r.layers,
                                    roles=("decoded", "error", "surface"))
        hidden = show_result(self.viewer, kept)
        psnr = f", {r.psnr.text()} vs truth" if r.psnr is not None else ""
        waiting = " (next decode waiting)" if self.runner.pending else ""
        self.status.value = (f"{r.decoded.resolution[0]}³ in {r.seconds:.2f} s{psnr}{waiting}"
                             f"{hidden_note(hidden)}")
