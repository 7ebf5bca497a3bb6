"""``python -m numkeras``: the same as the ``numkeras`` command."""

import sys

from .cli import main

sys.exit(main())
