"""``python -m bot`` is the ``hearth`` command."""

from bot.cli import main

raise SystemExit(main())
