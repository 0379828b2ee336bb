"""What every suite shares: corpora, contenders, truth, run protocol, workers and reports.

* ``corpus``: the shared real corpora; ``generate``: generated corpora with planted
  near-duplicates; ``passages_planted``: planted passage reuse;
* ``peers``: the contenders; ``truth``: the exact answer; ``stages``: dedup's
  pipeline cut into timed stages; ``ceiling``: control kernels;
* ``protocol``: interleaved rounds, load and machine; ``timing``: CPU time;
  ``memory``, ``worker``: peak memory and fresh-process runs;
* ``report``, ``plot_ladder``: records turned into the README's tables and plot.
"""
