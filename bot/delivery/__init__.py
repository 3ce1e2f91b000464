"""Weekly digests and DM recaps, every part exactly once: slots, content, ledger use, scheduler."""
