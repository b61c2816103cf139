"""The auto-encoder: a 3D conv encoder and a modulated SIREN sharing one latent space,
trained on datasets of molecules (FreeSolv …), encoding new ones in one pass.

=================  ===========================================================
module             role
=================  ===========================================================
``config``         `TrainConfig` and the network shapes of the presets
``model``          `AutoEncoder` (the network), `AEModel` (network + settings)
``checkpoint``     `save_autoencoder` / `load_autoencoder`, the shipped model
``datasets``       dataset files → `Dataset` (rows skipped with reasons, split)
``conformers``     cached RDKit conformers of SMILES
``inputs``         atom tables in the shared box, normalised grids, rotations
``batches``        precomputed targets and the batches of each step
``distributed``    ``torchrun`` process groups
``train``          `train` (a generator of `Progress`)
``encode``         `encode_molecules`, `decode_latent`, `evaluate_molecules`
``latents``        the dataset's latents and descriptors for latent maps
=================  ===========================================================
"""

#: Latent refinement steps after encoding a known molecule, by default, in the CLI and the
#: widgets (`encode.refine_latents`; 0 is the encoder alone): about 1 s a drug-like
#: molecule with the shipped atom-slot model on 2 cores. Here, torch-free, so that a
#: widget can show it without importing torch.
DEFAULT_REFINE_STEPS = 150
