"""The UI's login check: constant-time, with a lockout after repeated failures, and a bound
on the login tokens Gradio keeps.

Gradio calls an `auth` callable with the user name and password only (no client address),
synchronously inside its async login route: sleeping there would stall every user, so
failures are limited by a lockout instead. The lockout is global: with no client address
to tell attackers apart, a password guesser is stopped at the cost of the real user waiting
`lockout_s` too; the log line says so."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class LoginGuard:
    """Gradio `auth` callable: True for the configured login, False otherwise, and False
    for everyone for `lockout_s` seconds once `max_failures` attempts failed within that
    time (0: no limit)."""

    def __init__(
        self,
        login: tuple[str, str],
        *,
        max_failures: int,
        lockout_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._user, self._password = login
        self._max, self._window, self._clock = max_failures, lockout_s, clock
        self._failures: deque[float] = deque()
        self._locked_until = 0.0
        self._lock = threading.Lock()

    def __call__(self, username: str, password: str) -> bool:
        now = self._clock()
        with self._lock:
            if now < self._locked_until:
                return False
            # Both compared whatever the first gives, so timing tells nothing about either.
            ok_user = hmac.compare_digest(username.encode(), self._user.encode())
            ok_password = hmac.compare_digest(password.encode(), self._password.encode())
            if ok_user and ok_password:
                return True
            if self._max <= 0:
                return False
            self._failures.append(now)
            while self._failures and self._failures[0] <= now - self._window:
                self._failures.popleft()
            if len(self._failures) >= self._max:
                self._failures.clear()
                self._locked_until = now + self._window
                log.warning(
                    "%d failed logins within %.0f s: logins refused for %.0f s",
                    self._max,
                    self._window,
                    self._window,
                )
            return False

    @property
    def locked(self) -> bool:
        return self._clock() < self._locked_until


def bound_login_tokens(app: Any, keep: int) -> int:
    """Forget all but the newest `keep` login tokens of a Gradio app (it keeps one per
    successful login, forever); how many were dropped. A dropped token's browser is asked
    to log in again."""
    tokens = getattr(app, "tokens", None)
    if not isinstance(tokens, dict) or len(tokens) <= keep:
        return 0
    extra = list(tokens)[: len(tokens) - keep]  # dicts keep insertion order: oldest first
    for token in extra:
        tokens.pop(token, None)
    return len(extra)
