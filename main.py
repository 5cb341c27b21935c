"""Launch the GraphBuilder desktop app: ``python main.py [FILE|TEMPLATE]``."""

from __future__ import annotations

import sys

if __name__ == "__main__":
    from graphbuilder.ui.app import main

    sys.exit(main(sys.argv[1:]))
