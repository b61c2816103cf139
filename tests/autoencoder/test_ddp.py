"""The same training under DistributedDataParallel: 2 CPU processes with gloo."""

from __future__ import annotations

import json
import socket

import numpy as np
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file

from napari_molfield.autoencoder.train import train

from .ddp_worker import SETTINGS, run_rank


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_gloo_ranks_match_single_process(smi_file, cache_dir, small_dataset, tmp_path):
    assert len(small_dataset.molecules) == 16  # conformers cached before the ranks start
    mp.spawn(run_rank, args=(2, _free_port(), str(smi_file), str(cache_dir), str(tmp_path)),
             nprocs=2, join=True)
    r0, r1 = (load_file(str(tmp_path / f"rank{r}.safetensors")) for r in (0, 1))
    for k in r0:
        torch.testing.assert_close(r0[k], r1[k], rtol=0, atol=0)  # identical weights
    m0, m1 = (json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1))
    assert m0["world"] == m1["world"] == 2
    assert m0["losses"] == m1["losses"] and m0["split"] == m1["split"]

    single = train(str(smi_file), cache_dir=cache_dir, **SETTINGS)
    losses = [p.loss for p in single]
    assert single.dist.world == 1
    np.testing.assert_allclose(m0["losses"], losses, rtol=2e-4)
    for k, v in single.model.net.state_dict().items():
        torch.testing.assert_close(r0[k], v, rtol=1e-3, atol=1e-4)
