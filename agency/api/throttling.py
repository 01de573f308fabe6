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


# The partner-key path in one round trip (authentication of a key this process knows).
# KEYS[1] the address's failure window, KEYS[2] the key's request window, KEYS[3] the key's
# stamp (a token replaced whenever the key or its partner changes).
# ARGV: now, failure window, failure limit (-1: none), request window, request limit (-1:
# none), a unique member, the stamp expected, mode ("check": failures and stamp only;
# "hit": then count the request in the key's window).
# Returns {code, seconds to wait (string), the stamp ('' when unset)}: code 0 the address
# used up its failures; 2 the stamp differs (nothing counted); 1 admitted (counted);
# 3 over the key's limit.
_KEY_REQUEST_SCRIPT = """
local now = tonumber(ARGV[1])
local fwindow, flimit = tonumber(ARGV[2]), tonumber(ARGV[3])
local rwindow, rlimit = tonumber(ARGV[4]), tonumber(ARGV[5])
local member, expected, mode = ARGV[6], ARGV[7], ARGV[8]
if flimit >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - fwindow)
  if redis.call('ZCARD', KEYS[1]) >= flimit then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return {0, tostring(tonumber(oldest[2]) + fwindow - now), ''}
  end
end
local stamp = redis.call('GET', KEYS[3]) or ''
if mode ~= 'hit' or stamp ~= expected then
  return {2, '0', stamp}
end
if rlimit < 0 then
  return {1, '0', stamp}
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - rwindow)
if redis.call('ZCARD', KEYS[2]) < rlimit then
  redis.call('ZADD', KEYS[2], now, member)
  redis.call('PEXPIRE', KEYS[2], math.ceil(rwindow * 1000))
  return {1, '0', stamp}
end
local oldest = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return {3, tostring(tonumber(oldest[2]) + rwindow - now), stamp}
"""
STAMP_SECONDS = 3600  # a key's stamp outlives any process's memory of the key by far


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
_state: dict = {"script": None, "key_script": None}
_reset_hooks: list = []  # also forgotten by throttle_state_reset (the known keys)


def throttle_state_reset() -> None:
    """Forget the in-process windows and try the cache again at once."""
    _cache_breaker.reset()
    _local.clear()
    for hook in _reset_hooks:
        hook()


def _client():
    """A client of the Django Redis cache's connection pool (same server and options),
    made once per pool: making one is not free, and the pool is what is shared."""
    pool = cache._cache._get_connection_pool(True)
    client = _state.get("client")
    if client is None or client.connection_pool is not pool:
        client = _state["client"] = cache._cache.get_client(write=True)
    return client


def _script(name: str, source: str, *, keys: list, args: list):
    """Run a Lua script (registered once per process under ``name``) in one round trip."""
    client = _client()
    if _state[name] is None:
        _state[name] = client.register_script(source)
    return _state[name](keys=keys, args=args, client=client)


def _cache_failed(exc: Exception) -> None:
    """Leave Redis alone for a while and say so; the caller falls back."""
    _cache_breaker.trip()
    log.warning(
        "throttle_cache_unavailable_failing_open",
        error=f"{type(exc).__name__}: {exc}"[:300],
        retry_in_seconds=CACHE_RETRY_SECONDS,
    )


def _cache_window(key: str, *, now: float, window: float, limit: int, mode: str) -> Verdict:
    args = [repr(now), window, limit, uuid.uuid4().hex, mode]
    allowed, wait = _script("script", _WINDOW_SCRIPT, keys=[cache.make_key(key)], args=args)
    return Verdict(True) if allowed else Verdict(False, max(float(wait), 0.0))


def sliding_window(key: str, *, limit: int, window: float, mode: str = "hit") -> Verdict:
    """Apply ``mode`` to the window ``key`` (see ``_WINDOW_SCRIPT``), in Redis when it
    answers, else in this process."""
    now = time.time()
    if not _cache_breaker.is_open:
        try:
            return _cache_window(key, now=now, window=window, limit=limit, mode=mode)
        except (RedisError, OSError) as exc:
            _cache_failed(exc)
    return _local.run(key, now=now, window=window, limit=limit, mode=mode)


@dataclass(frozen=True)
class KeyCheck:
    """What ``key_request_check`` found: the address's failures used up (``verdict`` says
    how long to wait), or the key's stamp, and in "hit" mode the key's request verdict."""

    failures_used_up: Verdict | None
    stamp: bytes  # as stored (compared, never read)
    request: Verdict | None  # None: not counted (stamp differs, or "check" mode)


def key_request_check(
    request, *, prefix: str, api_key_id: str | None, expected_stamp: bytes | None
) -> KeyCheck | None:
    """One round trip for an API-key request: the address's failure budget (as
    ``AuthFailureThrottle.check``), the key's stamp, and, when ``expected_stamp`` matches
    it, the request counted in the key's window (as ``PartnerKeyRateThrottle``). None when
    the cache is unavailable: the caller then checks the usual way (which fails open)."""
    if _cache_breaker.is_open:
        return None
    failures, rate = AuthFailureThrottle(), PartnerKeyRateThrottle()
    hit = api_key_id is not None and expected_stamp is not None
    keys = [
        cache.make_key(failures.get_cache_key(request)),
        cache.make_key(rate.key_for(api_key_id or "")),
        cache.make_key(key_stamp_name(prefix)),
    ]
    args = [
        repr(time.time()),
        failures.duration if failures.rate else 0,
        failures.num_requests if failures.rate else -1,
        rate.duration if rate.rate else 0,
        rate.num_requests if rate.rate else -1,
        uuid.uuid4().hex,
        expected_stamp or b"",
        "hit" if hit else "check",
    ]
    try:
        code, wait, stamp = _script("key_script", _KEY_REQUEST_SCRIPT, keys=keys, args=args)
    except (RedisError, OSError) as exc:
        _cache_failed(exc)
        return None
    wait = max(float(wait), 0.0)
    if code == 0:
        return KeyCheck(failures_used_up=Verdict(False, wait), stamp=b"", request=None)
    counted = None
    if code in (1, 3):
        counted = Verdict(True) if code == 1 else Verdict(False, wait)
        request._window_verdicts = {keys[1]: counted}  # PartnerKeyRateThrottle reads it
    return KeyCheck(failures_used_up=None, stamp=stamp, request=counted)


def key_stamp_name(prefix: str) -> str:
    return f"api_key_stamp:{prefix}"


def key_stamps_replace(prefixes: list[str]) -> None:
    """Give these keys new stamps, so every process that knows them looks them up again on
    its next request. Logged, not raised, when the cache is down."""
    if not prefixes:
        return
    try:
        cache.set_many(
            {key_stamp_name(p): uuid.uuid4().hex for p in prefixes}, timeout=STAMP_SECONDS
        )
    except (RedisError, OSError) as exc:
        log.warning("api_key_stamp_not_replaced", error=f"{type(exc).__name__}: {exc}"[:300])


class WindowThrottle(SimpleRateThrottle):
    """DRF's rate syntax and 429 with ``Retry-After``, counted by ``sliding_window`` (or
    already, in the same round trip as the key's authentication: ``key_request_check``)."""

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        counted = getattr(request, "_window_verdicts", None) or {}
        full_key = cache.make_key(self.key)
        if full_key in counted:
            self.verdict = counted.pop(full_key)
            return self.verdict.allowed
        self.verdict = sliding_window(self.key, limit=self.num_requests, window=self.duration)
        return self.verdict.allowed

    def wait(self) -> float | None:
        return self.verdict.wait


class PartnerKeyRateThrottle(WindowThrottle):
    """A request budget per API key (429 past it); unauthenticated calls by client IP."""

    scope = "partner_key"

    def get_cache_key(self, request, view):
        key_id = getattr(request.user, "api_key_id", None)  # a partner principal's key
        if key_id is not None:
            return self.key_for(key_id)
        return self.cache_format % {"scope": self.scope, "ident": f"ip:{self.get_ident(request)}"}

    def key_for(self, api_key_id: str) -> str:
        return self.cache_format % {"scope": self.scope, "ident": f"key:{api_key_id}"}


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
