"""``python -m tests.tools``: make every tool venv (see the package docstring)."""

import sys

from tests.tools import main

sys.exit(main())
