"""The latent landscape: any set of latents ``[M, L]`` — a dataset encoded by an
auto-encoder, the items of an auto-decoder, the conformers of a deformable model — as a
2D map, with ways to navigate it. Numpy and scipy only (UMAP when ``umap-learn`` is
installed); the Latent map widget draws what these compute::

    import napari_molfield as mf
    emb = mf.latent_map(latents, method="pca")    # Embedding: xy [M, 2], project(z)
    path = emb.graph_path(3, 17)                   # items on the way, through the data
    z = emb.latents_at([[0.5, -1.0]])              # latents under map points

=================  ===========================================================
module             role
=================  ===========================================================
``embedding``      `Embedding`, `latent_map`, `pca_embedding`, `umap_embedding`
``navigation``     `latents_at`, `graph_path`, `straight_line`, `representatives`
``properties``     `property_order` and the labels of known properties
=================  ===========================================================
"""
