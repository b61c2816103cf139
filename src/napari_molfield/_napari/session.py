"""The models of this napari session: auto-decoders and deformable ensemble models
(fitted, loaded or dropped on the viewer) in :data:`MODELS`, each with its kind; the
auto-encoder and the last encoded molecule in :data:`AUTOENCODER`.

Qt-free and torch-free: it only holds references and announces changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psygnal import Signal

from ..errors import MolfieldError

if TYPE_CHECKING:
    import numpy as np

    from ..autodecoder.model import FittedModel
    from ..autoencoder.model import AEModel
    from ..deform.model import DeformModel
    from ..fields.box import Box
    from ..fields.field import Field

#: Kind of an auto-decoder (`FittedModel`) entry.
AUTODECODER_KIND = "auto-decoder"
#: Kind of a deformable ensemble model (`DeformModel`) entry.
DEFORMABLE_KIND = "deformable"


def model_kind(model: Any) -> str:
    """`DEFORMABLE_KIND` for a `DeformModel`, else `AUTODECODER_KIND` (imports nothing)."""
    return DEFORMABLE_KIND if type(model).__name__ == "DeformModel" else AUTODECODER_KIND


def is_deformable(model: Any) -> bool:
    """Whether ``model`` is a deformable ensemble model."""
    return model_kind(model) == DEFORMABLE_KIND


def model_box(model: Any, item: int = 0) -> Box:
    """The Å box of ``item`` (a deformable model's conformers share one)."""
    return model.box if is_deformable(model) else model.box(item)


def decode_model(model: Any, item: int, resolution: int, sub_box: Any = None) -> Field:
    """Decode ``item`` of either kind of model (sub-boxes: auto-decoders only)."""
    if is_deformable(model):
        if sub_box is not None:
            raise MolfieldError("Sub-box decoding is for auto-decoders: clear the sub-box "
                                "for a deformable model.")
        from ..deform.decode import decode_deform

        return decode_deform(model, item, resolution)
    from ..autodecoder.decode import decode

    return decode(model, item, resolution, sub_box=sub_box)


def truth_of(model: Any, item: int, resolution: int, sub_box: Any = None) -> Field:
    """The analytic Eq. 1 field that `decode_model` is compared with."""
    if is_deformable(model):
        from ..deform.decode import truth_field as deform_truth

        return deform_truth(model, item, resolution)
    from ..autodecoder.decode import truth_field

    return truth_field(model, item, resolution, sub_box=sub_box)


def load_checkpoint(path: str | Path) -> Any:
    """Read an auto-decoder or deformable checkpoint (the header's format decides)."""
    from ..nn.checkpoint import DEFORMABLE, checkpoint_format

    if checkpoint_format(path) == DEFORMABLE:
        from ..deform.checkpoint import load_deform

        return load_deform(path)
    from ..autodecoder.checkpoint import load_model

    return load_model(path)  # also names what is wrong with any other file


def save_checkpoint(model: Any, path: str | Path) -> Path:
    """Write either kind of model's checkpoint (atomic)."""
    if is_deformable(model):
        from ..deform.checkpoint import save_deform

        return Path(save_deform(model, path))
    from ..autodecoder.checkpoint import save_model

    return Path(save_model(model, path))


@dataclass
class ModelEntry:
    """A model, its kind and where it came from."""

    name: str
    model: FittedModel | DeformModel
    path: Path | None = None
    stamp: float | None = None  # the file's mtime when it was loaded or saved

    @property
    def kind(self) -> str:
        """`AUTODECODER_KIND` or `DEFORMABLE_KIND`."""
        return model_kind(self.model)

    def describe(self) -> str:
        """One line for lists: name, items (or conformers), channels, saved path."""
        m = self.model
        saved = f" — {self.path.name}" if self.path else " — not saved"
        if self.kind == DEFORMABLE_KIND:
            return (f"{self.name}: deformable, {m.n_items} conformers of {m.n_atoms} atoms, "
                    f"{len(m.channels)} ch{saved}")
        return f"{self.name}: {m.n_items} item(s), {len(m.channels)} ch{saved}"


class ModelStore:
    """Named models; ``changed`` fires whenever one is added, saved or removed."""

    changed = Signal()

    def __init__(self) -> None:
        self._entries: dict[str, ModelEntry] = {}

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def names(self) -> list[str]:
        """Model names, oldest first."""
        return list(self._entries)

    def entry(self, name: str) -> ModelEntry:
        """The entry called ``name``."""
        try:
            return self._entries[name]
        except KeyError:
            raise MolfieldError(f"No model called {name!r} in this session.") from None

    def get(self, name: str) -> Any:
        """The model called ``name`` (a `FittedModel` or a `DeformModel`)."""
        return self.entry(name).model

    def kind(self, name: str) -> str:
        """The kind of model ``name`` (`AUTODECODER_KIND` or `DEFORMABLE_KIND`)."""
        return self.entry(name).kind

    def add(self, model: Any, name: str, path: Path | None = None) -> str:
        """Add ``model`` under ``name`` (made unique with a suffix); returns the name used.

        With ``path`` (the checkpoint it was read from), a model already loaded from that
        same file is replaced in place instead: one model per checkpoint file.
        """
        if path is not None:
            path = Path(path).resolve()
            old = self.find(path, any_version=True)
            if old is not None:
                entry = self._entries[old]
                entry.model, entry.stamp = model, _mtime(path)
                self.changed.emit()
                return old
        base, k = name, 2
        while name in self._entries:
            name = f"{base} ({k})"
            k += 1
        self._entries[name] = ModelEntry(name, model, path, _mtime(path) if path else None)
        self.changed.emit()
        return name

    def find(self, path: str | Path, any_version: bool = False) -> str | None:
        """The name of the model read from (or saved to) ``path`` — only while the file is
        unchanged since, unless ``any_version``."""
        path = Path(path).resolve()
        for name, entry in self._entries.items():
            if entry.path is not None and entry.path == path and (
                any_version or entry.stamp == _mtime(path)
            ):
                return name
        return None

    def save(self, name: str, path: str | Path) -> Path:
        """Write the model's checkpoint (atomic) and remember the path."""
        entry = self.entry(name)
        out = save_checkpoint(entry.model, path).resolve()
        for other in self._entries.values():  # that file now holds this model only
            if other is not entry and other.path == out:
                other.path = other.stamp = None
        entry.path, entry.stamp = out, _mtime(out)
        self.changed.emit()
        return entry.path

    def load(self, path: str | Path) -> str:
        """Load a checkpoint into the session; returns its name. A file loaded before (and
        unchanged since) is not read again: its model is reused."""
        path = Path(path)
        known = self.find(path)
        if known is not None:
            return known
        model = load_checkpoint(path)
        return self.add(model, path.stem, path=path)

    def remove(self, name: str) -> None:
        """Forget a model."""
        self._entries.pop(name, None)
        self.changed.emit()


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


#: The store shared by every widget (and the checkpoint reader) of this session.
MODELS = ModelStore()


@dataclass
class Encoded:
    """A molecule encoded in this session (what the Latent map marks)."""

    name: str
    smiles: str | None
    latent: np.ndarray


class AutoEncoderSession:
    """The auto-encoder the widgets of this session share, and the last encoded molecule.

    ``model_changed`` fires with the new `AEModel`; ``encoded`` with an :class:`Encoded`.
    """

    model_changed = Signal(object)
    encoded = Signal(object)

    def __init__(self) -> None:
        self.model: AEModel | None = None
        self.label: str = ""
        self.path: Path | None = None
        self.last: Encoded | None = None

    def set_model(self, model: AEModel, label: str, path: str | Path | None = None) -> None:
        """Use ``model`` (called ``label`` in status lines, read from ``path``) from now on."""
        changed = model is not self.model
        self.model, self.label = model, label
        self.path = Path(path).resolve() if path else None
        if changed:
            self.last = None
            self.model_changed.emit(model)

    def set_encoded(self, item: Encoded) -> None:
        """Remember (and announce) the molecule just encoded."""
        self.last = item
        self.encoded.emit(item)

    def reset(self) -> None:
        """Forget the model and the last molecule (tests, a fresh session)."""
        self.model, self.label, self.path, self.last = None, "", None, None


#: The auto-encoder session shared by the Encode and Latent map widgets.
AUTOENCODER = AutoEncoderSession()
