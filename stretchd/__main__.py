"""Entry point for ``python -m stretchd``."""

import sys

from stretchd.cli import main

sys.exit(main())
