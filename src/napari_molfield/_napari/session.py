"""The models of this napari session: auto-decoders and deformable ensemble models
(fitted, loaded or dropped on the viewer) in :data:`MODELS`; the auto-encoder and the last
encoded molecule in :data:`AUTOENCODER`. What a model is and does is asked of
`napari_molfield.models` (the one dispatch shared with the CLI and notebooks).

Qt-free and torch-free: it only holds references and announces changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psygnal import Signal

from ..errors import MolfieldError
from ..models import describe, kind_of, load, save

if TYPE_CHECKING:
    import numpy as np

    from ..autoencoder.model import AEModel
    from ..models import FieldModel

@dataclass
class ModelEntry:
    """A model, its kind and where it came from."""

    name: str
    model: FieldModel
    path: Path | None = None
    stamp: float | None = None  # the file's mtime when it was loaded or saved

    @property
    def kind(self) -> str:
        """The model's kind (`napari_molfield.models.KINDS`)."""
        return kind_of(self.model)

    def describe(self) -> str:
        """One line for lists: name, kind, items (or conformers), channels, saved path."""
        saved = f" — {self.path.name}" if self.path else " — not saved"
        return f"{self.name}: {describe(self.model)}{saved}"


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
        """The model called ``name``."""
        return self.entry(name).model

    def kind(self, name: str) -> str:
        """The kind of model ``name`` (`napari_molfield.models.KINDS`)."""
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
        out = save(entry.model, path).resolve()
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
        model = load(path)
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
