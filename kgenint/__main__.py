import sys

from .cli import main

if __name__ == "__main__":  # not when imported (e.g. by a spawned worker process)
    sys.exit(main())
