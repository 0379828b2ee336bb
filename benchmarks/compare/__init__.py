"""The comparison with gaoya, rensa and datasketch: recall, speed, limits, threads, cold start."""
