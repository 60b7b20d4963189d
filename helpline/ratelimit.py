"""Rate limits: Flask-Limiter over the ``limits`` library, one limiter per app.

- Counts live in Redis when ``REDIS_URL`` is set (shared by every web process, keys
  under ``<REDIS_NAMESPACE>:rl:``), else in this process's memory (the embedded
  single-process default). Fixed windows, as ``limits`` keeps them.
- A client is ``request.remote_addr``: the connecting address, or with
  ``TRUSTED_PROXIES`` = N the address N proxies back (``ProxyFix`` in ``create_app``),
  so a client cannot pick its own address by sending ``X-Forwarded-For``.
- Redis failing is nobody's lockout: the request that finds it unreachable and the ones
  after it are counted in this process's memory from zero (Flask-Limiter's in-memory
  fallback) until Redis answers a health check again (one every 1 to 32 s); every Redis
  call has a short timeout, so requests do not wait on it.
- Each adapter attaches its own limits to its blueprint (``portal_api.blueprint``,
  ``agent_console.auth``) and renders the 429 in its own shape.
"""

from __future__ import annotations

import math
import time

from flask import request
from flask_limiter import Limiter

from helpline.settings import Settings

# A Redis that answers at all answers in milliseconds; one that does not must not hold
# a request for long before the limiter falls back to memory.
REDIS_TIMEOUT_SECONDS = 0.5


def client_address() -> str:
    """Who counts as one client. Behind ``TRUSTED_PROXIES`` proxies this is the address
    the outermost trusted proxy saw, not the proxy's own."""
    return request.remote_addr or "unknown"


def make_limiter(settings: Settings) -> Limiter:
    """A limiter with no limits of its own yet; ``init_app`` attaches it to an app."""
    options: dict[str, str | int | float]
    if settings.redis_url:
        uri = settings.redis_url
        options = {
            "key_prefix": f"{settings.redis_namespace}:rl",
            "socket_timeout": REDIS_TIMEOUT_SECONDS,
            "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        }
    else:
        uri, options = "memory://", {}
    return Limiter(
        client_address,
        storage_uri=uri,
        storage_options=options,
        strategy="fixed-window",
        in_memory_fallback_enabled=True,
        # Check every limit of a request, so a refusal can tell the longest wait.
        fail_on_first_breach=False,
        # A count lost to a Redis failure after the view ran is logged, not a 500.
        swallow_errors=True,
        headers_enabled=False,
    )


def retry_after(limiter: Limiter) -> int:
    """Whole seconds until every limit this request broke has room again (at least 1);
    the full window when the storage cannot say."""
    broken = [limit for limit in limiter.current_limits if limit.breached]
    if not broken:
        return 1
    try:
        reset_at = max(limit.window.reset_time for limit in broken)
    except Exception:  # the storage went away since the check: a whole window is safe
        return max(limit.limit.get_expiry() for limit in broken)
    return max(1, math.ceil(reset_at - time.time()))
