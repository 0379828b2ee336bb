"""Blocks: segmentation, repeated-block decisions, collapse and its records."""
