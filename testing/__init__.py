"""Test doubles of Discord and of an OpenAI-compatible server, shared by tests/ and bench/."""
