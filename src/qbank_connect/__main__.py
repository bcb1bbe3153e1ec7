"""``python -m qbank_connect``: the ``qbank`` command line."""

from .cli import main

if __name__ == "__main__":
    main()
