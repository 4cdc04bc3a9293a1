"""The UI's login check: constant-time, with a lockout after repeated failures per client
address and a backstop for all clients together, and a bound on the login tokens Gradio keeps.

Gradio calls an `auth` callable with the user name and password only, synchronously inside
its login route: sleeping there would stall every user, so failures are limited by lockouts
instead. The client's address comes from the `LoginClient` middleware through a context
variable (Starlette runs the route in a worker thread with the request's context copied). A
guesser at one address is locked out alone, so the real user elsewhere still gets in; a
guesser spread over many addresses meets the all-clients limit. Behind a reverse proxy every
client has the proxy's address, and the lockout is as global as that."""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

log = logging.getLogger(__name__)

# The address of the client whose login request is being handled (None outside one).
LOGIN_CLIENT: ContextVar[str | None] = ContextVar("rag_login_client", default=None)
_MAX_CLIENTS = 10_000  # failure records kept; the oldest go first


class LoginClient:
    """ASGI middleware: makes the client address of a request to Gradio's login route
    known to `LoginGuard`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and scope.get("path", "").rstrip("/").endswith("/login"):
            client = scope.get("client")
            token = LOGIN_CLIENT.set(str(client[0]) if client else None)
            try:
                await self.app(scope, receive, send)
            finally:
                LOGIN_CLIENT.reset(token)
            return
        await self.app(scope, receive, send)


class _Window:
    """Failures within a sliding window, and a lockout once they reach a limit."""

    def __init__(self) -> None:
        self.failures: deque[float] = deque()
        self.locked_until = 0.0

    def fail(self, now: float, limit: int, window: float) -> bool:
        """Count a failure; True when it starts a lockout."""
        self.failures.append(now)
        while self.failures and self.failures[0] <= now - window:
            self.failures.popleft()
        if len(self.failures) >= limit:
            self.failures.clear()
            self.locked_until = now + window
            return True
        return False


class LoginGuard:
    """Gradio `auth` callable: True for the configured login, False otherwise. Once
    `max_failures` attempts from one client address failed within `lockout_s`, that address
    is refused for `lockout_s` seconds; once `max_failures_total` failed from all addresses
    together, everyone is (0: no limit, for either)."""

    def __init__(
        self,
        login: tuple[str, str],
        *,
        max_failures: int,
        lockout_s: float,
        max_failures_total: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._user, self._password = login
        self._max, self._max_total, self._window = max_failures, max_failures_total, lockout_s
        self._clock = clock
        self._clients: OrderedDict[str | None, _Window] = OrderedDict()
        self._all = _Window()
        self._lock = threading.Lock()

    def __call__(self, username: str, password: str) -> bool:
        now, client = self._clock(), LOGIN_CLIENT.get()
        with self._lock:
            if self._locked(client, now):
                return False
            # Both compared whatever the first gives, so timing tells nothing about either.
            ok_user = hmac.compare_digest(username.encode(), self._user.encode())
            ok_password = hmac.compare_digest(password.encode(), self._password.encode())
            if ok_user and ok_password:
                return True
            if self._max > 0:
                window = self._clients.pop(client, None) or _Window()
                self._clients[client] = window  # most recent last
                while len(self._clients) > _MAX_CLIENTS:
                    self._clients.popitem(last=False)
                if window.fail(now, self._max, self._window):
                    log.warning(
                        "%d failed logins from %s within %.0f s: its logins refused for %.0f s",
                        self._max,
                        client or "an unknown address",
                        self._window,
                        self._window,
                    )
            if self._max_total > 0 and self._all.fail(now, self._max_total, self._window):
                log.warning(
                    "%d failed logins from all clients within %.0f s: every login refused "
                    "for %.0f s",
                    self._max_total,
                    self._window,
                    self._window,
                )
            return False

    def _locked(self, client: str | None, now: float) -> bool:
        window = self._clients.get(client)
        return now < self._all.locked_until or (window is not None and now < window.locked_until)

    @property
    def locked(self) -> bool:
        """Whether a login from the current client (see `LOGIN_CLIENT`) would be refused."""
        with self._lock:
            return self._locked(LOGIN_CLIENT.get(), self._clock())


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
