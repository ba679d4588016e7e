"""``python -m engine.worker``: start the worker the desktop app talks to."""

import sys

from engine.worker.server import main

sys.exit(main())
