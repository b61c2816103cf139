"""Interpolation below the model kinds: paths through latents and the interpolators that
decode frames along them, built from networks, latents and boxes (never from a model
class). Each kind's ``interpolate.interpolator`` (and `models.interpolator`) builds one.

=================  ===========================================================
module             role
=================  ===========================================================
``paths``          modes, `lerp`, `slerp`, `path_position`, `path_latent`,
                   `frame_times`: the one copy of the path arithmetic
``base``           `LatentPath`: the interface every interpolator shares
``field``          `Interpolator`: a modulated SIREN's frames (cached first layer,
                   atom support or coarse-to-fine)
``deform``         `DeformInterpolator`: a `DeformNet`'s frames and the atoms
                   that move along them (`KeyAtoms`)
``movie``          headless MIP rendering, GIF/MP4/NPZ writers
=================  ===========================================================
"""
