"""Shared passages: stage times, and recall against planted reuse and peers."""
