"""Worker of the 2-process gloo test (imported by the spawned processes)."""

from __future__ import annotations

import json
import os
from pathlib import Path

SETTINGS = dict(preset="tiny", resolution=16, box_edge=16.0, batch_items=4, batch_points=256,
                eval_every=1000, eval_items=2, device="cpu", seed=0, steps=4)


def run_rank(rank: int, world: int, port: int, data: str, cache: str, out: str) -> None:
    """Train as one rank of ``world`` and dump its weights and losses into ``out``."""
    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port), "RANK": str(rank),
                       "WORLD_SIZE": str(world), "LOCAL_RANK": str(rank)})
    from safetensors.torch import save_file

    from napari_molfield.autoencoder.train import train

    run = train(data, cache_dir=cache, **SETTINGS)
    losses = [p.loss for p in run]
    state = {k: v.detach().contiguous() for k, v in run.model.net.state_dict().items()}
    save_file(state, str(Path(out) / f"rank{rank}.safetensors"))
    (Path(out) / f"rank{rank}.json").write_text(json.dumps({
        "losses": losses, "world": run.dist.world, "split": run.split}))
    run.close()
