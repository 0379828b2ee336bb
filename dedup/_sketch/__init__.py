"""Sketch: MinHash / one-permutation signatures and LSH banding."""
