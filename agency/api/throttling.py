"""Request budgets: per API key, and failed authentications per client address.

Counters live in Redis as a sliding window (a sorted set of request times per key). One Lua
script trims the window, counts and admits in a single step, so concurrent web processes
cannot all admit the last slot (a read-then-write counter let two gunicorn workers admit
several percent over the limit).

The cache must never turn into an outage: when Redis cannot be reached the throttle fails
open to a window kept in this process (same limit, per process), logs a warning, and leaves
Redis alone for a few seconds before trying it again, so a dead cache costs no request a
timeout.
"""

import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass

import structlog
from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.throttling import SimpleRateThrottle

from agency.breaker import Breaker

log = structlog.get_logger(__name__)

CACHE_RETRY_SECONDS = 5.0  # after a cache error, the local window serves this long
LOCAL_MAX_KEYS = 10_000  # bound on the fallback's memory

# KEYS[1] the window; ARGV: now (s), window (s), limit, a unique member, mode.
# mode "hit": admit and count when under the limit; "peek": say whether a request would be
# admitted, counting nothing; "add": count one event whatever the limit.
# Returns {admitted (1/0), seconds until a slot frees (string; "0" when admitted)}.
_WINDOW_SCRIPT = """
local key = KEYS[1]
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local member, mode = ARGV[4], ARGV[5]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if mode == 'add' or (mode == 'hit' and count < limit) then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  return {1, '0'}
end
if count < limit then
  return {1, '0'}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(oldest[2]) + window - now)}
"""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    wait: float | None = None  # seconds until a request would be admitted


class _LocalWindows:
    """The fallback: the same sliding windows, in this process's memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()

    def run(self, key: str, *, now: float, window: float, limit: int, mode: str) -> Verdict:
        with self._lock:
            if len(self._windows) > LOCAL_MAX_KEYS:
                self._windows.clear()
            times = self._windows.setdefault(key, deque())
            while times and times[0] <= now - window:
                times.popleft()
            if mode == "add" or (mode == "hit" and len(times) < limit):
                times.append(now)
                return Verdict(True)
            if len(times) < limit:
                return Verdict(True)
            return Verdict(False, times[0] + window - now)


_local = _LocalWindows()
_cache_breaker = Breaker(seconds=CACHE_RETRY_SECONDS)
_state = {"script": None}


def throttle_state_reset() -> None:
    """Forget the in-process windows and try the cache again at once."""
    _cache_breaker.reset()
    _local.clear()


def _cache_window(key: str, *, now: float, window: float, limit: int, mode: str) -> Verdict:
    full_key = cache.make_key(key)
    # Django's Redis cache hands out a client of its connection pool (same server, options).
    client = cache._cache.get_client(full_key, write=True)
    if _state["script"] is None:
        _state["script"] = client.register_script(_WINDOW_SCRIPT)
    allowed, wait = _state["script"](
        keys=[full_key], args=[repr(now), window, limit, uuid.uuid4().hex, mode], client=client
    )
    return Verdict(True) if allowed else Verdict(False, max(float(wait), 0.0))


def sliding_window(key: str, *, limit: int, window: float, mode: str = "hit") -> Verdict:
    """Apply ``mode`` to the window ``key`` (see ``_WINDOW_SCRIPT``), in Redis when it
    answers, else in this process."""
    now = time.time()
    if not _cache_breaker.is_open:
        try:
            return _cache_window(key, now=now, window=window, limit=limit, mode=mode)
        except (RedisError, OSError) as exc:
            _cache_breaker.trip()
            log.warning(
                "throttle_cache_unavailable_failing_open",
                error=f"{type(exc).__name__}: {exc}"[:300],
                retry_in_seconds=CACHE_RETRY_SECONDS,
            )
    return _local.run(key, now=now, window=window, limit=limit, mode=mode)


class WindowThrottle(SimpleRateThrottle):
    """DRF's rate syntax and 429 with ``Retry-After``, counted by ``sliding_window``."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.verdict = sliding_window(self.key, limit=self.num_requests, window=self.duration)
        return self.verdict.allowed

    def wait(self) -> float | None:
        return self.verdict.wait


class PartnerKeyRateThrottle(WindowThrottle):
    """A request budget per API key (429 past it); unauthenticated calls by client IP."""

    scope = "partner_key"

    def get_cache_key(self, request, view):
        key_id = getattr(request.user, "api_key_id", None)  # a partner principal's key
        ident = f"key:{key_id}" if key_id is not None else f"ip:{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AuthFailureThrottle(WindowThrottle):
    """Failed authentications (bad, unknown, revoked keys) per client address: past the
    budget every API-key request from that address is a 429, before its key is looked at,
    so guessing keys gains nothing."""

    scope = "auth_failure"

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _apply(self, request, mode: str) -> Verdict:
        if self.rate is None:
            return Verdict(True)
        return sliding_window(
            self.get_cache_key(request),
            limit=self.num_requests,
            window=self.duration,
            mode=mode,
        )

    def check(self, request) -> None:
        """429 when this address has used up its failures."""
        verdict = self._apply(request, "peek")
        if not verdict.allowed:
            raise exceptions.Throttled(wait=verdict.wait)

    def record_failure(self, request) -> None:
        self._apply(request, "add")
