"""``python -m graphbuilder``: the command-line interface (see graphbuilder.cli)."""

from graphbuilder.cli import main

raise SystemExit(main())
