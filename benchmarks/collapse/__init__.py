"""Block collapse: speed and what it removes on real corpora."""
