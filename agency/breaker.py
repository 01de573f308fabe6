"""A circuit breaker for Redis: after a failure, leave it alone for a few seconds.

While Redis is down every call to it fails, but not always at once (a connect timeout on a
host that does not answer). Callers that have a fallback (the throttle's in-process window,
the sweepers that re-drive a dropped message) trip the breaker on a failure and use the
fallback straight away until it closes again.
"""

import time


class Breaker:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._open_until = 0.0

    @property
    def is_open(self) -> bool:
        """True while the dependency is taken to be down."""
        return time.monotonic() < self._open_until

    def trip(self) -> None:
        self._open_until = time.monotonic() + self.seconds

    def reset(self) -> None:
        self._open_until = 0.0
