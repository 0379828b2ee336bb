"""Readers and writers of the command line: sources, formats, decoding, ids, streams, outputs."""
