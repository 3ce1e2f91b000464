"""The circuit breaker of the model backend: skip a failing endpoint for a while."""

from __future__ import annotations

import time
from collections.abc import Callable


class CircuitBreaker:
    """Open after ``threshold`` consecutive failures; after ``cooldown`` s let one call probe."""

    def __init__(
        self,
        threshold: int = 3,
        cooldown: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0
        self.opened_at: float | None = None
        self._probing = False

    @property
    def is_open(self) -> bool:
        """True while calls are being skipped."""
        return self.opened_at is not None

    def allow(self) -> bool:
        """May a call go out now? (At most one probe at a time once the cooldown is over.)"""
        if self.opened_at is None:
            return True
        if not self._probing and self.clock() - self.opened_at >= self.cooldown:
            self._probing = True
            return True
        return False

    def success(self) -> None:
        """The endpoint answered: close."""
        self.failures, self.opened_at, self._probing = 0, None, False

    def abandon(self) -> None:
        """A call ended without an answer either way (cancelled): allow another probe."""
        self._probing = False

    def failure(self) -> bool:
        """Count a failure; True when this one opened the circuit (closed -> open)."""
        self.failures += 1
        self._probing = False
        if self.failures < self.threshold:
            return False
        opened = self.opened_at is None
        self.opened_at = self.clock()
        return opened
