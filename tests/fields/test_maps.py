"""Density maps as fields: real files against gemmi, axis orders, round trips, bad input."""

from __future__ import annotations

import bz2
import gzip
import itertools
from pathlib import Path

import gemmi
import mrcfile
import numpy as np
import pytest

from napari_molfield.errors import MolfieldError
from napari_molfield.fields import limits
from napari_molfield.fields.field import Field
from napari_molfield.fields.io import read_field, write_field
from napari_molfield.fields.io import write_field as write_map
from napari_molfield.fields.maps import (
    crop,
    fraction_level,
    map_format,
    map_name,
    read_map,
    read_maps,
    resample_cubic,
    sigma_level,
)

MAPS = Path(__file__).resolve().parents[1] / "data" / "maps"


def one_sentence(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg.endswith(".") and len(msg) < 400, msg
    return msg


def xyz_ramp(shape) -> np.ndarray:
    """A map whose value encodes its (i, j, k) index: 10000 i + 100 j + k."""
    i, j, k = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    return (10000 * i + 100 * j + k).astype(np.float32)


def write_mrc(path, values_xyz, order=(1, 2, 3), voxel=(1.0, 1.0, 1.0), start=(0, 0, 0),
              origin=(0.0, 0.0, 0.0)):
    """Write [X, Y, Z] values with file columns/rows/sections along ``order`` (MAPC/R/S)."""
    # data[s, r, c] with c along axis order[0], r along order[1], s along order[2]
    data = np.transpose(values_xyz, (order[2] - 1, order[1] - 1, order[0] - 1))
    with mrcfile.new(path, overwrite=True) as m:
        m.set_data(np.ascontiguousarray(data))
        h = m.header
        h.mapc, h.mapr, h.maps = order
        n_xyz = values_xyz.shape
        h.mx, h.my, h.mz = n_xyz
        h.cella = tuple(float(v * n) for v, n in zip(voxel, n_xyz, strict=True))
        h.nxstart, h.nystart, h.nzstart = (start[order[0] - 1], start[order[1] - 1],
                                           start[order[2] - 1])
        h.origin = origin


# --------------------------------------------------------------------------- real files


def test_test_data_is_small_and_documented():
    files = [p for p in MAPS.iterdir() if p.name != "README.md"]
    assert sum(p.stat().st_size for p in files) < 3 * 2**20
    readme = (MAPS / "README.md").read_text()
    for p in files:
        assert p.name in readme


def test_1jzv_matches_gemmi():
    """An X-ray map with MAPC/MAPR/MAPS = 2/1/3, non-zero starts and anisotropic voxels."""
    path = MAPS / "1jzv.ccp4"
    f = read_map(path)
    ccp4 = gemmi.read_ccp4_map(str(path), setup=False)
    order = [ccp4.header_i32(w) for w in (17, 18, 19)]
    assert order == [2, 1, 3] and f.meta["header"]["mapc_mapr_maps"] == order
    counts = [ccp4.header_i32(w) for w in (1, 2, 3)]
    starts = [ccp4.header_i32(w) for w in (5, 6, 7)]
    shape_xyz, start_xyz = [0] * 3, [0] * 3
    for n, s, axis in zip(counts, starts, order, strict=True):
        shape_xyz[axis - 1], start_xyz[axis - 1] = n, s
    assert f.resolution == tuple(shape_xyz) == (76, 96, 70)
    cell = ccp4.grid.unit_cell
    sampling = [ccp4.header_i32(w) for w in (8, 9, 10)]
    voxel = np.array([cell.a, cell.b, cell.c]) / sampling
    np.testing.assert_allclose(f.voxel_size, voxel, rtol=1e-6)
    assert not f.is_cubic
    with pytest.raises(MolfieldError, match="anisotropic"):
        _ = f.spacing
    assert [ccp4.header_float(w) for w in (50, 51, 52)] == [0, 0, 0]
    np.testing.assert_allclose(f.origin, np.array(start_xyz) * voxel, atol=1e-5)
    # values: gemmi's own axis handling (setup=True puts the grid in x, y, z order)
    g = gemmi.read_ccp4_map(str(path), setup=True).grid
    rng = np.random.default_rng(0)
    for _ in range(300):
        i, j, k = (int(rng.integers(0, n)) for n in f.resolution)
        want = g.get_value(start_xyz[0] + i, start_xyz[1] + j, start_xyz[2] + k)
        assert f.values[0, i, j, k] == pytest.approx(want, abs=1e-5)
        # and the Å position agrees with gemmi's interpolation at that point
        pos = gemmi.Position(*(f.origin + f.voxel_size * (i, j, k)))
        assert g.interpolate_value(pos) == pytest.approx(want, abs=1e-5)
    # statistics from the voxels agree with the header's
    s = f.meta["stats"]["1jzv"]
    h = mrcfile.open(path, header_only=True).header
    assert s["mean"] == pytest.approx(float(h.dmean), abs=1e-5)
    assert s["sd"] == pytest.approx(float(h.rms), rel=1e-4)
    assert (s["min"], s["max"]) == pytest.approx((float(h.dmin), float(h.dmax)))
    assert f.meta["header"]["memory_mapped"] and not f.values.flags.writeable


def test_small_ccp4_matches_gemmi():
    f = read_map(MAPS / "test.ccp4")
    g = gemmi.read_ccp4_map(str(MAPS / "test.ccp4"), setup=True).grid
    assert f.resolution == (g.nu, g.nv, g.nw)
    np.testing.assert_allclose(f.voxel_size, g.spacing, rtol=1e-6)
    np.testing.assert_array_equal(f.values[0], np.array(g, copy=False))


def test_non_orthogonal_emdb_map_is_resampled():
    # read, not refused, since issue 22: tests/fields/test_oblique_maps.py checks the values
    path = MAPS / "EMD-3001.map.bz2"
    assert map_format(path) == "mrc" and map_name(path) == "EMD-3001"
    with pytest.warns(UserWarning, match="not orthogonal"):
        f = read_map(path)
    assert f.meta["resampled"]["from"] == "non-orthogonal grid"


@pytest.mark.parametrize("name", ["test.dx", "test.dx.gz"])
def test_dx_files(name):
    f = read_map(MAPS / name)
    assert f.channels == ("test",) and f.resolution == (2, 2, 2)
    np.testing.assert_allclose(f.origin, [20.1, 3.0, -10.0])
    np.testing.assert_allclose(f.voxel_size, 1.0)
    want = np.array([1, 1, 1, 1, 1e-6, -1e6, 1, 1], np.float32).reshape(2, 2, 2)  # z fastest
    np.testing.assert_allclose(f.values[0], want, rtol=1e-6)


# --------------------------------------------------------------------------- axis order


@pytest.mark.parametrize("order", list(itertools.permutations((1, 2, 3))))
@pytest.mark.parametrize("use_origin", [False, True])
def test_axis_orders_land_at_the_right_positions(tmp_path, order, use_origin):
    shape = (5, 4, 3)
    voxel = (0.5, 0.75, 1.25)
    start = (-3, 2, 7)
    origin = (10.0, -4.0, 2.5) if use_origin else (0.0, 0.0, 0.0)
    path = tmp_path / "ramp.mrc"
    write_mrc(path, xyz_ramp(shape), order, voxel, start, origin)
    f = read_map(path)
    assert f.resolution == shape
    np.testing.assert_allclose(f.voxel_size, voxel, rtol=1e-6)
    want_origin = np.array(origin) if use_origin else np.array(start) * voxel
    np.testing.assert_allclose(f.origin, want_origin, atol=1e-5)
    np.testing.assert_array_equal(f.values[0], xyz_ramp(shape))
    # gemmi agrees on which value sits at which (x, y, z) index
    g = gemmi.read_ccp4_map(str(path), setup=True).grid
    for i, j, k in [(0, 0, 0), (4, 1, 2), (2, 3, 1)]:
        u, v, w = (int(a) + b for a, b in zip(start, (i, j, k), strict=True))
        assert g.get_value(u, v, w) == f.values[0, i, j, k]


# --------------------------------------------------------------------------- round trips


@pytest.mark.parametrize("suffix", [".mrc", ".ccp4", ".map", ".dx", ".npz"])
def test_round_trip_keeps_grid(tmp_path, suffix):
    rng = np.random.default_rng(1)
    values = rng.normal(size=(1, 7, 5, 6)).astype(np.float32)
    f = Field(values, (1.5, -2.25, 30.0), (0.6, 0.8, 1.1), ("rho",))
    (path,) = write_field(f, tmp_path / f"m{suffix}")
    back = read_field(path)
    np.testing.assert_allclose(back.origin, f.origin, atol=1e-5)
    np.testing.assert_allclose(back.voxel_size, f.voxel_size, rtol=1e-6)
    tol = 1e-6 if suffix == ".dx" else 0
    np.testing.assert_allclose(back.values, values, rtol=tol, atol=0)
    if suffix != ".npz":
        np.testing.assert_allclose(read_map(path).values, values, rtol=tol)
        assert read_map(path).meta["header" if suffix != ".dx" else "format"]
    if suffix in (".mrc", ".ccp4", ".map"):  # an independent reader sees the same grid
        g = gemmi.read_ccp4_map(str(path), setup=True).grid
        np.testing.assert_allclose(g.spacing, f.voxel_size, rtol=1e-6)
        np.testing.assert_array_equal(np.array(g, copy=False), values[0])


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress])
def test_compressed_maps(tmp_path, compress):
    f = Field(xyz_ramp((4, 5, 6))[None], (1, 2, 3), 0.9, ("x",))
    (plain,) = write_map(f, tmp_path / "a.mrc")
    ext = ".gz" if compress is gzip.compress else ".bz2"
    packed = tmp_path / f"a.mrc{ext}"
    packed.write_bytes(compress(plain.read_bytes()))
    back = read_map(packed)
    assert back.channels == ("a",)
    np.testing.assert_array_equal(back.values, f.values)
    np.testing.assert_allclose(back.origin, f.origin, atol=1e-6)
    assert not back.meta["header"]["memory_mapped"]


def test_several_maps_as_channels(tmp_path):
    a = Field(xyz_ramp((4, 4, 5))[None], (0, 0, 0), (1.0, 1.0, 0.5), ("a",))
    b = Field(-xyz_ramp((4, 4, 5))[None], (0, 0, 0), (1.0, 1.0, 0.5), ("b",))
    paths = write_map(a, tmp_path / "a.mrc") + write_map(b, tmp_path / "b.dx")
    both = read_maps(paths)
    assert both.channels == ("a", "b") and both.values.shape == (2, 4, 4, 5)
    assert set(both.meta["stats"]) == {"a", "b"}
    np.testing.assert_allclose(both.values[1], -a.values[0], rtol=1e-6)
    other = Field(a.values, (0.5, 0, 0), (1.0, 1.0, 0.5), ("c",))
    with pytest.raises(MolfieldError, match="share a grid") as exc:
        read_maps([*paths, *write_map(other, tmp_path / "c.mrc")])
    one_sentence(exc)


def test_an_mrc_map_is_a_view_of_the_file_not_a_copy(tmp_path):
    """Opening a map reads no voxels into memory: its values are the file, memory-mapped
    (a change written to the file afterwards shows in them). No wall-clock limit: the
    behaviour is what makes a large map open fast."""
    path = tmp_path / "big.mrc"
    with mrcfile.new(path) as m:
        m.set_data(np.random.default_rng(0).standard_normal((96, 80, 64), np.float32))
        m.voxel_size = 1.1
    f = read_map(path)
    assert isinstance(f.values.base, np.memmap)  # a view of the file, no copy
    assert f.meta["header"]["memory_mapped"]
    assert f.values.shape == (1, 64, 80, 96)
    with mrcfile.mmap(path, mode="r+") as m:  # [sections z, rows y, columns x]
        m.data[5, 6, 7] = 1234.5
        m.flush()
    assert f.values[0, 7, 6, 5] == 1234.5


# --------------------------------------------------------------------------- helpers


def test_levels_crop_and_resample(tmp_path):
    f = read_map(MAPS / "1jzv.ccp4")
    s = f.meta["stats"]["1jzv"]
    assert sigma_level(f, 2.0) == pytest.approx(s["mean"] + 2 * s["sd"])
    lvl = fraction_level(f, 0.01)
    assert 0.005 < float((f.values >= lvl).mean()) < 0.02
    c = crop(f, f.origin + 2.0, f.origin + 6.0)
    assert np.shares_memory(c.values, f.values)
    np.testing.assert_array_equal(c.values[0, 0, 0, 0], f.values[0, 4, 4, 4])
    np.testing.assert_allclose(c.origin, f.origin + f.voxel_size * 4)
    with pytest.raises(MolfieldError, match="outside the map"):
        crop(f, f.origin - 50, f.origin - 40)
    cube = resample_cubic(c)
    assert cube.is_cubic and cube.spacing == pytest.approx(f.voxel_size.min())
    np.testing.assert_allclose(cube.values[0, 0, 0, 0], c.values[0, 0, 0, 0], rtol=1e-6)


# --------------------------------------------------------------------------- bad input


def _good(tmp_path) -> Path:
    (p,) = write_map(Field(xyz_ramp((6, 5, 4))[None], (0, 0, 0), 1.0, ("g",)),
                     tmp_path / "g.mrc")
    return p


def test_truncated_map(tmp_path):
    p = _good(tmp_path)
    data = p.read_bytes()
    for name, payload in [("cut.mrc", data[:-10]), ("header.mrc", data[:500])]:
        (tmp_path / name).write_bytes(payload)
        with pytest.raises(MolfieldError) as exc:
            read_map(tmp_path / name)
        one_sentence(exc)
    (tmp_path / "cut.mrc.gz").write_bytes(gzip.compress(data[:-10]))
    with pytest.raises(MolfieldError, match="truncated") as exc:
        read_map(tmp_path / "cut.mrc.gz")
    one_sentence(exc)


def test_header_size_mismatch(tmp_path):
    p = _good(tmp_path)
    (tmp_path / "long.mrc").write_bytes(p.read_bytes() + b"\0" * 64)
    with pytest.raises(MolfieldError, match="longer than the header") as exc:
        read_map(tmp_path / "long.mrc")
    one_sentence(exc)
    with mrcfile.open(p, mode="r+", permissive=True) as m:
        m.header.nz = 9  # the header now promises more sections than the file holds
    with pytest.raises(MolfieldError, match="truncated") as exc:
        read_map(p)
    one_sentence(exc)


def test_nan_constant_and_garbage(tmp_path):
    v = xyz_ramp((4, 4, 4))
    v[1, 2, 3] = np.nan
    (p,) = write_map(Field(v[None], (0, 0, 0), 1.0, ("n",)), tmp_path / "nan.mrc")
    with pytest.raises(MolfieldError, match="NaN") as exc:
        read_map(p)
    one_sentence(exc)
    (p,) = write_map(Field(np.full((1, 4, 4, 4), 2.5), (0, 0, 0), 1.0, ("c",)),
                     tmp_path / "flat.map")
    with pytest.raises(MolfieldError, match="constant") as exc:
        read_map(p)
    one_sentence(exc)
    (tmp_path / "text.mrc").write_text("not a map at all\n" * 100)
    with pytest.raises(MolfieldError) as exc:
        read_map(tmp_path / "text.mrc")
    one_sentence(exc)
    (tmp_path / "x.pdb").write_text("")
    with pytest.raises(MolfieldError, match="not a map file name"):
        read_map(tmp_path / "x.pdb")
    with pytest.raises(MolfieldError, match="no such file"):
        read_map(tmp_path / "missing.mrc")


def test_bad_dx(tmp_path):
    text = (MAPS / "test.dx").read_text()
    cases = {
        "cut.dx": text.rsplit("\n", 2)[0],
        # sheared grids are resampled (test_oblique_maps.py); parallel deltas span none
        "flat.dx": text.replace("delta 0 1.00 0", "delta 2.00 0 0"),
        "items.dx": text.replace("items 8", "items 9"),
        "junk.dx": text.replace("1.e-6", "abc"),
        "empty.dx": "# nothing\n",
    }
    for name, body in cases.items():
        (tmp_path / name).write_text(body)
        with pytest.raises(MolfieldError) as exc:
            read_map(tmp_path / name)
        one_sentence(exc)


def test_map_larger_than_memory(tmp_path, monkeypatch):
    p = _good(tmp_path)
    monkeypatch.setattr(limits, "available_bytes", lambda: 256.0)
    with pytest.raises(MolfieldError, match="available memory") as exc:
        read_map(p)
    one_sentence(exc)


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    from napari_molfield.fields import dx

    def broken(values, origin, voxel, path, comment=""):
        Path(path).write_text("object 1 class gridpositions counts")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(dx, "write_dx", broken)
    f = Field(xyz_ramp((3, 3, 3))[None], (0, 0, 0), 1.0, ("g",))
    with pytest.raises(MolfieldError, match="No space left") as exc:
        write_map(f, tmp_path / "half.dx")
    one_sentence(exc)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(MolfieldError, match="does not exist"):
        write_map(f, tmp_path / "nowhere" / "m.mrc")


@pytest.mark.parametrize("name", ["test.dx", "test.dx.gz", "1jzv.ccp4", "test.ccp4"])
def test_agrees_with_griddataformats(name):
    """A second independent reader (it reads DX, which gemmi does not). GridDataFormats
    comes with MDAnalysis, which the test suite requires ("testing" extra)."""
    import gridData as grid_data
    g = grid_data.Grid(str(MAPS / name))
    f = read_map(MAPS / name)
    np.testing.assert_allclose(f.values[0], g.grid, rtol=1e-6)
    np.testing.assert_allclose(f.origin, g.origin, atol=1e-5)
    np.testing.assert_allclose(f.voxel_size, g.delta, rtol=1e-6)


def test_emd_3197_matches_gemmi(tmp_path):
    """A cryo-ET map with a positive background and negative values, NXSTART = -2."""
    f = read_map(MAPS / "EMD-3197.map.bz2")
    plain = tmp_path / "EMD-3197.map"
    plain.write_bytes(bz2.decompress((MAPS / "EMD-3197.map.bz2").read_bytes()))
    g = gemmi.read_ccp4_map(str(plain), setup=True).grid
    assert f.resolution == (g.nu, g.nv, g.nw) == (20, 20, 20)
    np.testing.assert_allclose(f.voxel_size, [g.unit_cell.a / g.nu] * 3, rtol=1e-6)
    np.testing.assert_allclose(f.origin, [-22.8, 0.0, 0.0], atol=1e-4)
    for i, j, k in itertools.product(range(0, 20, 3), repeat=3):
        pos = gemmi.Position(*(f.origin + f.voxel_size * (i, j, k)))
        assert f.values[0, i, j, k] == pytest.approx(g.interpolate_value(pos), abs=1e-5)
    assert float(np.min(f.values)) < 0 < float(np.median(f.values))
