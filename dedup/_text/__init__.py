"""Text: documents in, code points, normalization, tokens and shingles."""
