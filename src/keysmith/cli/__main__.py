"""`python -m keysmith.cli`: the same as the `keysmith` command."""

import sys

from keysmith.cli import main

sys.exit(main())
