"""Index: the stage layer, building, the ``Index`` and what changes it."""
