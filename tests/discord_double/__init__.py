"""Tests of the Discord double itself."""
