"""``python -m simsrc``: the same as the ``simsrc`` command (simsrc.cli.main)."""
import sys

from simsrc.cli.main import main

sys.exit(main())
