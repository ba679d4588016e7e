"""``python -m engine.cli``: the ``rlm`` command without its installed launcher."""

import sys

from engine.cli.main import main

sys.exit(main())
