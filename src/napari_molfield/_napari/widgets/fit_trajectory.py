"""The Fit widget's trajectory inputs: a topology, its trajectory, frames and hold-out.

With a topology chosen, the Fit widget fits the trajectory's frames (read in the fit's own
process, as ``molfield fit TOPOLOGY --trajectory TRAJ --frames … --holdout K``: a
deformable model with the atoms decoder) instead of the molecules open in the viewer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from magicgui.widgets import CheckBox, Container, FileEdit, LineEdit, SpinBox

from ...chem.trajectory import parse_frames
from ...errors import MolfieldError

#: Topology formats MDAnalysis reads that carry atom names (and often elements).
TOPOLOGY_FILTER = "*.psf *.pdb *.gro *.tpr *.prmtop *.parm7 *.top *.mol2 *.pqr *.cif"
#: Trajectory formats (the topology's own coordinates when none is given).
TRAJECTORY_FILTER = "*.dcd *.xtc *.trr *.nc *.ncdf *.netcdf *.crd *.mdcrd *.h5 *.lammpstrj"


class TrajectoryInputs(Container):
    """Topology, trajectory, frames (``START:STOP:STEP``) and hold-out of a trajectory fit.

    ``request()`` is ``None`` while no topology is chosen (the Fit widget then fits the
    viewer's molecules).
    """

    def __init__(self) -> None:
        self.topology = FileEdit(label="MD topology", mode="r", filter=TOPOLOGY_FILTER,
                                 value="")
        self.topology.tooltip = ("A topology MDAnalysis reads (PSF, GRO, TPR, PRMTOP, …): "
                                 "with it, Fit fits the trajectory's frames instead of the "
                                 "molecules above")
        self.trajectory = FileEdit(label="MD trajectory", mode="r", filter=TRAJECTORY_FILTER,
                                   value="")
        self.trajectory.tooltip = "DCD, XTC, TRR, … (empty: the topology's own frames)"
        self.frames = LineEdit(label="frames", value="")
        self.frames.tooltip = "START:STOP:STEP, e.g. ::10 or 100:200 (empty: every frame)"
        self.select = LineEdit(label="selection", value="all")
        self.select.tooltip = "MDAnalysis selection of the atoms to fit (e.g. protein)"
        self.waters = CheckBox(label="keep waters", value=False)
        self.holdout = SpinBox(label="hold out every", value=0, min=0, max=1000)
        self.holdout.tooltip = ("0: fit every frame; K: leave every K-th frame out of the fit "
                                "and fit its latent to its field afterwards (a check that the "
                                "landscape generalises)")
        super().__init__(widgets=[self.topology, self.trajectory, self.frames, self.select,
                                  self.waters, self.holdout])

    @property
    def chosen(self) -> bool:
        """Whether a topology is chosen (a trajectory fit)."""
        return _path(self.topology.value) is not None

    def stem(self) -> str:
        """A name for the fitted model: the trajectory's (else the topology's) file stem."""
        path = _path(self.trajectory.value) or _path(self.topology.value)
        return path.stem if path is not None else "trajectory"

    def request(self) -> dict[str, Any] | None:
        """What the fit process reads (`fit_process.read_trajectory_request`), or ``None``
        without a topology; a `MolfieldError` sentence for a missing file or bad frames."""
        top = _path(self.topology.value)
        if top is None:
            return None
        traj = _path(self.trajectory.value)
        for what, path in (("topology", top), ("trajectory", traj)):
            if path is not None and not path.is_file():
                raise MolfieldError(f"The {what} {path} is not a file.")
        start, stop, step = parse_frames(self.frames.value)
        return {"topology": str(top), "trajectory": None if traj is None else str(traj),
                "start": start, "stop": stop, "step": step,
                "select": self.select.value.strip() or "all",
                "keep_waters": bool(self.waters.value)}


#: Resolution at which a fitted trajectory's first frame is shown (as a dropped checkpoint).
FIRST_FRAME_RESOLUTION = 48


def load_with_first_frame(path: str, group: str) -> tuple[Any, list[Any]]:
    """A trajectory fit's checkpoint and its first frame decoded as layer data (worker):
    the viewer has nothing else of a trajectory to show."""
    from ... import models
    from ..layers import decoded_layers

    model = models.load(path)
    field = models.decode(model, 0, FIRST_FRAME_RESOLUTION)
    return model, decoded_layers(field, model, 0, group, f"{model.item_names[0]} decoded")


def _path(value: Any) -> Path | None:
    """A chosen file, or ``None`` for an empty `FileEdit` (magicgui gives ``Path('.')``)."""
    text = str(value or "").strip()
    return None if text in ("", ".") else Path(text)


__all__ = ["FIRST_FRAME_RESOLUTION", "TrajectoryInputs", "load_with_first_frame"]
