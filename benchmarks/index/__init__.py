"""The saved index: load, query, filter_new, daily adds and removals."""
