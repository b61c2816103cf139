"""The models of this napari session (fitted, loaded or dropped on the viewer).

Qt-free and torch-free: it only holds references and announces changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psygnal import Signal

from ..errors import MolfieldError

if TYPE_CHECKING:
    from ..nn.model import FittedModel


@dataclass
class ModelEntry:
    """A model and where it came from."""

    name: str
    model: FittedModel
    path: Path | None = None
    source_group: str | None = None

    def describe(self) -> str:
        """One line for lists: name, items, channels, saved path."""
        m = self.model
        saved = f" — {self.path.name}" if self.path else " — not saved"
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

    def get(self, name: str) -> FittedModel:
        """The model called ``name``."""
        return self.entry(name).model

    def add(self, model: Any, name: str, path: Path | None = None,
            source_group: str | None = None) -> str:
        """Add ``model`` under ``name`` (made unique with a suffix); returns the name used."""
        base, k = name, 2
        while name in self._entries:
            name = f"{base} ({k})"
            k += 1
        self._entries[name] = ModelEntry(name, model, path, source_group)
        self.changed.emit()
        return name

    def save(self, name: str, path: str | Path) -> Path:
        """Write the model's checkpoint (atomic) and remember the path."""
        from ..nn.checkpoint import save_model

        entry = self.entry(name)
        entry.path = Path(save_model(entry.model, path))
        self.changed.emit()
        return entry.path

    def load(self, path: str | Path) -> str:
        """Load a checkpoint into the session; returns its name."""
        from ..nn.checkpoint import load_model

        path = Path(path)
        model = load_model(path)
        return self.add(model, path.stem, path=path)

    def remove(self, name: str) -> None:
        """Forget a model."""
        self._entries.pop(name, None)
        self.changed.emit()


#: The store shared by every widget (and the checkpoint reader) of this session.
MODELS = ModelStore()
