"""Verify: exact duplicates, exact Jaccard, clusters, and who is kept."""
