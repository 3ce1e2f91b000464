"""What cogs ask for: privacy (pause, export, forget), guild settings, stats."""
