"""The Dask engine beside the local one: time and peak memory."""
