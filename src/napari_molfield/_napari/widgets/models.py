"""The Models widget: this session's models, with save and load."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from magicgui.widgets import Container, Label, PushButton, Select

from ...errors import MolfieldError
from ..session import MODELS
from ..workers import notify_error
from .common import wrapping_label

if TYPE_CHECKING:
    import napari


class ModelsWidget(Container):
    """List, save, load and forget the models of this session."""

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        self.viewer = viewer
        self.list = Select(label="models", choices=self._choices)
        self.list.native.setMinimumHeight(90)
        self.save_button = PushButton(text="Save…")
        self.load_button = PushButton(text="Load…")
        self.remove_button = PushButton(text="Forget")
        buttons = Container(widgets=[self.save_button, self.load_button, self.remove_button],
                            layout="horizontal", labels=False)
        self.status = wrapping_label(Label(value=""))
        super().__init__(widgets=[self.list, buttons, self.status])
        self.save_button.changed.connect(self._save_dialog)
        self.load_button.changed.connect(self._load_dialog)
        self.remove_button.changed.connect(self._remove)
        MODELS.changed.connect(self.refresh)
        self.native.destroyed.connect(lambda *_: MODELS.changed.disconnect(self.refresh))

    def _choices(self, _widget: Any = None) -> list[tuple[str, str]]:
        return [(MODELS.entry(n).describe(), n) for n in MODELS.names()]

    def refresh(self) -> None:
        """Re-read the session's models."""
        self.list.reset_choices()

    def selected(self) -> str | None:
        """The first selected model (or the newest when none is selected)."""
        if self.list.value:
            return self.list.value[0]
        return MODELS.names()[-1] if len(MODELS) else None

    def save(self, name: str, path: str | Path) -> Path | None:
        """Save model ``name`` to ``path``; errors become a notification and a status line."""
        try:
            out = MODELS.save(name, path)
        except (MolfieldError, OSError) as exc:
            self.status.value = str(exc)
            notify_error(exc)
            return None
        self.status.value = f"Saved {name!r} → {out}"
        return out

    def load(self, path: str | Path) -> str | None:
        """Load a checkpoint; a bad file becomes a notification, nothing else changes."""
        try:
            name = MODELS.load(path)
        except (MolfieldError, OSError) as exc:
            self.status.value = str(exc)
            notify_error(exc)
            return None
        self.status.value = f"Loaded {name!r} ({MODELS.get(name).n_items} items)"
        return name

    def _save_dialog(self) -> None:
        from qtpy.QtWidgets import QFileDialog

        name = self.selected()
        if name is None:
            self.status.value = "No model to save yet."
            return
        path, _ = QFileDialog.getSaveFileName(
            self.native, "Save model", f"{name}.safetensors", "Checkpoints (*.safetensors)"
        )
        if path:
            self.save(name, path)

    def _load_dialog(self) -> None:
        from qtpy.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(
            self.native, "Load model", "", "Checkpoints (*.safetensors)"
        )
        if path:
            self.load(path)

    def _remove(self) -> None:
        for name in list(self.list.value):
            MODELS.remove(name)
