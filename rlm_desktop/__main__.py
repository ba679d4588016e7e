"""``python -m rlm_desktop``: the same as the ``rlm-desktop`` command."""

import sys

from rlm_desktop.app import main

sys.exit(main())
