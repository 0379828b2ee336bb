"""``python -m dedup.cli``: the ``near-dups`` command."""

import sys

from . import main

sys.exit(main())
