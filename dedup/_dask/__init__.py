"""The Dask engine behind ``dedup.dask``: its stages (``_graph``) and their per-partition functions
(``_stages``, ``_clusters``); collapse's three steps (``_collapse``)."""
