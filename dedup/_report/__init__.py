"""The report: one self-contained HTML page to review every decision of a run (``dedup.report``, ``Index.report``)."""
