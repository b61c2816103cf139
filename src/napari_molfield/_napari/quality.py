"""PSNR as the widgets report it: `fields.metrics.FieldReport` of a model's item.

A field that is mostly empty space scores a high PSNR even when predicted as all zeros,
so every status line shows the report's numbers (all MAX = 1 on the normalised scale): the
PSNR over every voxel and channel, the PSNR of predicting zeros (the baseline to beat),
both over the occupied channels, and the spurious mass — the same numbers as the CLI.
"""

from __future__ import annotations

from ..fields.metrics import FieldReport, field_report


def model_report(model, item: int, resolution: int) -> FieldReport:
    """`field_report` of ``model``'s item at ``resolution``³ (decode vs Eq. 1, any model
    kind; imports torch)."""
    from ..models import decode, truth

    return field_report(decode(model, item, resolution).values,
                        truth(model, item, resolution).values)
