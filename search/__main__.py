"""``python -m search`` is the ``cari`` command."""

from search.cli import main

main()
