"""``python -m data_fetch``: see :mod:`data_fetch.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
