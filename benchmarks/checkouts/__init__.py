"""Two checkouts side by side: stage times and numba compile times."""
