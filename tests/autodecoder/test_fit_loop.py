"""The auto-decoder fit on the shared training loop: records, history, reproducibility."""

from __future__ import annotations

import math

from napari_molfield.autodecoder.fit import fit


def test_records_cadence_and_history(water_methanol):
    recs = list(fit(water_methanol, channels="C,O", resolution=8, preset="tiny", steps=9,
                    eval_every=4, device="cpu"))
    assert [r.step for r in recs] == list(range(10))
    assert math.isnan(recs[0].loss) and recs[0].evaluated
    assert [r.step for r in recs if r.evaluated] == [0, 4, 8, 9]
    hist = recs[-1].model.history
    assert [h["step"] for h in hist] == [0, 4, 8, 9]
    assert hist[0]["loss"] is None and hist[2]["loss"] == recs[8].loss
    assert all(r.psnr == recs[8].psnr for r in recs[8:9]) and recs[5].psnr == recs[4].psnr
    assert recs[1].lr > recs[-1].lr > 0  # the cosine decay


def test_seeded_records_repeat(water_methanol):
    kw = dict(channels="C,O", resolution=8, preset="tiny", steps=12, eval_every=5, seed=7,
              device="cpu", empty_weight=2.0)
    a = [(r.loss, r.psnr, r.lr) for r in fit(water_methanol, **kw)]
    b = [(r.loss, r.psnr, r.lr) for r in fit(water_methanol, **kw)]
    assert a[1:] == b[1:] and a[0][1:] == b[0][1:]
