"""``python -m graphbuilder.training train|lr-find ...`` (same as ``graphbuilder train``)."""

import sys

from graphbuilder.training.cli_commands import main

sys.exit(main())
