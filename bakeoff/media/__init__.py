"""Image files, below core: where they live (:mod:`~bakeoff.media.files`: local paths or fsspec URLs, regular
files only) and how they decode (:mod:`~bakeoff.media.decode`: RGB, bounded memory, every failure with its reason).

Core (metadata, folder import), inference (``apply_model``), evaluation (reports) and the App read images
through this package only; it knows nothing of datasets.
"""
