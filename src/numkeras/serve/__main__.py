"""``python -m numkeras.serve [MODEL] [--host HOST] [--port PORT]``: see ``numkeras serve -h``."""

import sys

from .command import main

sys.exit(main())
