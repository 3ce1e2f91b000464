"""Hearth: personalized recaps for small Discord communities."""

__version__ = "0.1.0"
