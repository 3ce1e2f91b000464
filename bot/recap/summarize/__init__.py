"""Summaries of conversations: the offline extractive one, the model backend, its prompt."""
