"""Discord adapters: one extension per module or package, ``setup()`` at the bottom."""
