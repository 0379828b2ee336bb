"""The Dask engine's per-partition stages."""
