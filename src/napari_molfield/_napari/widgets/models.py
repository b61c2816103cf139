"""The Models widget: this session's models (auto-decoders and deformable ensemble
models), with save and load.

Checkpoints are read and written in a worker (torch and file I/O stay off the Qt
thread); a file loaded before, and unchanged since, gives back the same model.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from magicgui.widgets import Container, Label, PushButton, Select

from ... import models
from ..session import MODELS
from ..workers import JobRunner
from .common import ScrollingDock, wrapping_label

if TYPE_CHECKING:
    import napari


class ModelsWidget(ScrollingDock, Container):
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
        super().__init__(widgets=[self.list, buttons, self.status], scrollable=True)
        self.pack_top()
        self.runner = JobRunner()
        self.last: str | Path | None = None
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

    def save(self, name: str, path: str | Path) -> Any:
        """Save model ``name`` to ``path`` in a worker (returns it); the saved path ends up
        in :attr:`last`, errors become a notification and a status line."""
        self.status.value = f"Saving {name!r} …"
        self.last = None

        def done(out: Path) -> None:
            self.last = out
            self.status.value = f"Saved {name!r} → {out}"

        return self.runner.submit(MODELS.save, name, path, on_return=done,
                                  on_error=self._failed)

    def load(self, path: str | Path) -> Any:
        """Load a checkpoint in a worker (returns it); the model's name ends up in
        :attr:`last`. A bad file becomes a notification, nothing else changes."""
        self.last = None
        known = MODELS.find(path)
        if known is not None:
            self.last = known
            self.status.value = f"{known!r} is already loaded from that file."
            return None
        self.status.value = f"Loading {Path(path).name} …"

        def done(model: Any) -> None:
            name = MODELS.add(model, Path(path).stem, path=Path(path))
            self.last = name
            self.status.value = f"Loaded {name!r} ({models.describe(model)})"

        return self.runner.submit(models.load, path, on_return=done,
                                  on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.status.value = str(exc)

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
