"""Passages: seeds, candidate pairs, alignment and groups of shared text."""
