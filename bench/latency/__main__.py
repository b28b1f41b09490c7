"""``python -m bench.latency``: run the latency benchmark (see ``bench.latency.cli``)."""

import sys

from bench.latency.cli import main

sys.exit(main())
