"""``python -m bot`` is the ``hearth`` command."""

from bot.app.cli import main

raise SystemExit(main())
