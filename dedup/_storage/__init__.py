"""Storage: a saved index on disk, its ids and its write lock."""
