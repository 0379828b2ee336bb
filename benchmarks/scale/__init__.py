"""Corpora larger than memory: streamed runs, the CLI at a million documents, templated pages, datatrove."""
