"""``python -m seatlib.powerbi [--check]``: see :mod:`seatlib.powerbi.project`."""

import sys

from .project import main

sys.exit(main())
