"""Fields: boxes, channels, sampling of Eq. 1, metrics and field files.

Modules are imported on use (``fields.sample`` pulls in numba; ``fields.kernels_torch``,
the only one importing torch, is loaded only when a torch device is requested).
"""
