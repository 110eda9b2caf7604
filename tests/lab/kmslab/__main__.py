"""``python -m kmslab``: the lab's command line (see kmslab.cli)."""

import sys

from kmslab.cli import main

sys.exit(main())
