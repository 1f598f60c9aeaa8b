"""``python -m simsrc``: the same as the ``simsrc`` command (simsrc.cli)."""
import sys

from simsrc.cli import main

sys.exit(main())
