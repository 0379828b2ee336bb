"""The HTML report: generation time, size, time to interactive."""
