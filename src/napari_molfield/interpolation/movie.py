"""Render interpolation frames headlessly and write them as GIF, MP4 or NPZ (atomic).

No napari, no Qt: a frame is the additive-colour maximum-intensity projection of the
channels (the colours napari uses for them), viewed down the z axis with x to the right
and y up. GIF goes through Pillow (imageio), MP4 through imageio-ffmpeg (H.264).
Every writer writes a temporary file next to the target and renames it into place, so
an interrupted export never leaves a half-written movie behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MolfieldError
from ..fields.colours import DISPLAY_SATURATION, channel_colour
from ..fields.io import atomic_write
from .paths import times_of

if TYPE_CHECKING:
    from .base import LatentPath

#: Movie formats `write_movie` writes.
MOVIE_SUFFIXES = (".gif", ".mp4")


def channel_colours(channels: Sequence[str]) -> np.ndarray:
    """``[C, 3]`` RGB colours (0..1) of channel names, as the napari layers use them."""
    return np.array([channel_colour(c) for c in channels], dtype=np.float32)


def render_mip(
    values: np.ndarray,
    colours: np.ndarray,
    *,
    saturation: float = DISPLAY_SATURATION,
    axis: int = 2,
    size: int = 384,
) -> np.ndarray:
    """An RGB ``uint8`` image of ``values`` ``[C, N, N, N]``: additive coloured MIPs.

    Parameters
    ----------
    values
        Normalised channels (peak ≈ 1).
    colours
        ``[C, 3]`` colours in 0..1.
    saturation
        Value shown at full colour (fixed, so frames of a movie do not flicker).
    axis
        Spatial axis projected away (2: look down z).
    size
        The image is enlarged by an integer factor (nearest neighbour) to at least this
        many pixels per edge, rounded up to a multiple of 16 (what H.264 wants).
    """
    v = np.asarray(values, dtype=np.float32)
    if v.ndim != 4 or len(colours) != v.shape[0]:
        raise MolfieldError(f"Expected values [C, N, N, N] with {len(colours)} channels.")
    mip = np.clip(v.max(axis=axis + 1) / float(saturation), 0.0, 1.0)  # [C, a, b]
    rgb = np.einsum("cab,cd->abd", mip, np.asarray(colours, dtype=np.float32))
    rgb = np.clip(rgb, 0.0, 1.0).transpose(1, 0, 2)[::-1]  # rows: second axis, upwards
    factor = max(1, -(-int(size) // max(rgb.shape[:2])))
    img = np.repeat(np.repeat(rgb, factor, axis=0), factor, axis=1)
    h, w = img.shape[:2]
    ph, pw = -h % 16, -w % 16
    if ph or pw:
        img = np.pad(img, ((ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    return (img * 255.0 + 0.5).astype(np.uint8)


def path_images(interp: LatentPath, times: int | Sequence[float], size: int = 384
                ) -> Iterator[np.ndarray]:
    """RGB images (`render_mip`) of the frames of any interpolator at ``times`` (or that
    many even frames), decoded one at a time into one reused buffer."""
    colours = channel_colours(interp.channels)
    n = interp.n
    buf = np.zeros((len(interp.channels), n, n, n), np.float32)
    for t in times_of(times):
        yield render_mip(interp.values(float(t), out=buf), colours, size=size)


def write_movie(frames: Iterable[np.ndarray], path: str | os.PathLike[str], fps: float = 12.0
                ) -> Path:
    """Write RGB ``uint8`` frames ``[H, W, 3]`` as ``.gif`` (looping) or ``.mp4``, atomically.

    A GIF stores identical consecutive frames once (with their summed duration, so the
    timing is unchanged); an MP4 keeps every frame.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    MolfieldError
        For another suffix, no frames, or a missing imageio / imageio-ffmpeg.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in MOVIE_SUFFIXES:
        raise MolfieldError(f"{path.name}: write a movie as .gif or .mp4.")
    try:
        import imageio.v2 as iio2
        import imageio.v3 as iio
    except ImportError:
        raise MolfieldError("Writing movies needs imageio: pip install imageio.") from None
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: str) -> None:
        count = 0
        if suffix == ".gif":
            stack = [np.ascontiguousarray(f[..., :3]) for f in frames]
            count = len(stack)
            if count:
                iio.imwrite(tmp, stack, extension=".gif", duration=1000.0 / fps, loop=0)
        else:
            try:
                import imageio_ffmpeg  # noqa: F401
            except ImportError:
                raise MolfieldError(
                    "Writing MP4 needs imageio-ffmpeg: pip install imageio-ffmpeg."
                ) from None
            writer: Any = iio2.get_writer(tmp, format="FFMPEG", mode="I", fps=fps,
                                          codec="libx264", quality=7, macro_block_size=16)
            try:
                for f in frames:
                    writer.append_data(np.ascontiguousarray(f[..., :3]))
                    count += 1
            finally:
                writer.close()
        if count == 0:
            raise MolfieldError(f"{path.name}: no frames to write.")

    atomic_write(path, write, keep_suffix=True)
    return path


def write_frames_npz(path: str | os.PathLike[str], **arrays: Any) -> Path:
    """``np.savez_compressed`` to ``path`` atomically (``.npz``)."""
    path = Path(path)
    if path.suffix.lower() != ".npz":
        raise MolfieldError(f"{path.name}: frames are saved as .npz.")
    path.parent.mkdir(parents=True, exist_ok=True)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    atomic_write(path, write, keep_suffix=True)
    return path


def count_frames(path: str | os.PathLike[str]) -> int:
    """Number of frames in a GIF or MP4 (read back with imageio)."""
    import imageio.v3 as iio

    path = Path(path)
    if path.suffix.lower() == ".mp4":
        import imageio.v2 as iio2

        reader: Any = iio2.get_reader(path, format="FFMPEG")
        try:
            return sum(1 for _ in reader)
        finally:
            reader.close()
    return int(iio.improps(path, index=None).shape[0])


__all__ = [
    "MOVIE_SUFFIXES",
    "channel_colours",
    "count_frames",
    "path_images",
    "render_mip",
    "write_frames_npz",
    "write_movie",
]
