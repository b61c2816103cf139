"""The torch kernels agree with the numba kernels; torch stays lazy."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from napari_molfield.fields.box import Box
from napari_molfield.fields.channels import ChannelSpec
from napari_molfield.fields.sample import sample_points, sample_table

from .conftest import exact_grid


def _entries(table):
    return (table.xyz, table.radius, table.channel.astype(np.int64), table.weight)


@pytest.mark.parametrize("n", [5, 20])
def test_torch_grid_equals_numba(random_molecule, n):
    from napari_molfield.fields import kernels_torch as kt
    table = ChannelSpec.parse("C,N,O,other,en").assign(random_molecule, 1)
    box = Box.around(random_molecule.coords, 0.5)
    want = sample_table(table, box, n, beta=2.2, tol=1e-6)
    got = kt.splat_grid(*_entries(table), 2.2, 1e-6, box.origin(n), box.spacing(n), n,
                        table.n_channels, device="cpu", chunk=4096).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6 * want.max())
    exact = exact_grid(table, box, n, 2.2)
    np.testing.assert_allclose(got, exact, rtol=0, atol=1e-5 * exact.max())


def test_torch_points_equal_numba(random_molecule):
    from napari_molfield.fields import kernels_torch as kt
    table = ChannelSpec.parse(None).assign(random_molecule)
    pts = np.random.default_rng(1).uniform(-8, 8, (2000, 3))
    want = sample_points(table, pts)
    got = kt.eval_points(pts, *_entries(table), 2.0, 1e-4, table.n_channels, device="cpu",
                         chunk=10_000).numpy()
    np.testing.assert_allclose(got, want, rtol=0, atol=2e-6 * want.max())


def test_unavailable_device(random_molecule):
    import torch

    from napari_molfield.errors import MolfieldError

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    table = ChannelSpec.parse("C").assign(random_molecule)
    with pytest.raises(MolfieldError, match="CUDA"):
        sample_table(table, Box((0, 0, 0), 10.0), 4, device="cuda")


def test_sampling_does_not_import_torch():
    code = (
        "import sys, numpy as np\n"
        "from napari_molfield.chem.molecule import Molecule\n"
        "from napari_molfield.fields.sample import sample_field\n"
        "from napari_molfield.fields import io\n"
        "sample_field(Molecule(elements=['C'], coords=np.zeros((1, 3))), 4)\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
