"""The size ladder: 1k to 1M generated documents, time and peak memory per contender."""
