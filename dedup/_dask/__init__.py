"""The Dask engine behind ``dedup.dask``: its stages (``_graph``) and their per-partition functions
(``_stages``, ``_clusters``)."""
