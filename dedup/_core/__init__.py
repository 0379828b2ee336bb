"""Primitives every stage shares: arrays, kept memory, hashing, spill, files, configs, options, words."""
