"""Putting the chat UI on a network: where it may bind without a login, the login itself,
upload limits, bounded session memory, and the launch."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.middleware import Middleware

from rag.errors import ConfigError
from rag.pipeline import Pipeline
from rag.settings import Settings, UISettings
from rag.ui.app import build_app
from rag.ui.login import LoginClient, LoginGuard
from rag.ui.memory import Housekeeper, limit_arenas
from rag.ui.style import CSS, theme


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the UI on this machine: 127.0.0.0/8, ::1 (also as
    [::1] or ::ffff:127.x) and 'localhost'. 0.0.0.0, ::, any other address or host name
    is exposed."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False  # a host name other than localhost may resolve anywhere
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def credentials(ui: UISettings) -> tuple[str, str] | None:
    """(username, password) from settings, the password possibly from `password_file`;
    None when neither is set. ConfigError when only half a login is configured."""
    password = ui.password.get_secret_value() if ui.password is not None else None
    if ui.password_file is not None:
        if password:
            raise ConfigError("set ui.password or ui.password_file, not both")
        password = _read_password(ui.password_file)
    if ui.username and password:
        return ui.username, password
    if ui.username or password:
        raise ConfigError(
            "a login needs both ui.username and ui.password "
            "(RAG_UI__USERNAME and RAG_UI__PASSWORD, or ui.password_file)"
        )
    return None


def _read_password(path: Path) -> str:
    try:
        lines = path.read_text("utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read ui.password_file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"ui.password_file {path} is not UTF-8 text") from None
    if not lines or not lines[0]:
        raise ConfigError(f"ui.password_file {path} has no password on its first line")
    return lines[0]


class UploadCap:
    """ASGI middleware: Gradio's file route limits each file's size but takes up to 1,000
    files per request (10 GB at 10 MB each) into its cache before our upload handler sees
    them; a POST to it larger than `limit` bytes, or of unstated length, is refused first."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if (
            scope.get("type") == "http"
            and scope.get("method") == "POST"
            and scope.get("path", "").rstrip("/").endswith("/gradio_api/upload")
        ):
            headers = dict(scope.get("headers") or [])
            length = headers.get(b"content-length")
            status = 411 if length is None or not length.isdigit() else 0
            if not status and int(length) > self.limit:
                status = 413
            if status:
                body = b"upload refused: too large for ui.max_upload_files x ui.max_upload_mb"
                if status == 411:
                    body = b"upload refused: length required"
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [(b"content-type", b"text/plain")],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def upload_limit(ui: UISettings) -> int:
    """Bytes one upload request may hold: every file at its largest, plus multipart framing."""
    return int(ui.max_upload_files * ui.max_upload_mb * 1_000_000) + 64_000 * ui.max_upload_files


def tls_files(ui: UISettings) -> tuple[str, str] | None:
    """(certificate, key) paths to serve HTTPS with, None for plain HTTP; ConfigError when
    only one is set or a file is unreadable."""
    cert, key = ui.tls_certfile, ui.tls_keyfile
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise ConfigError("HTTPS needs both ui.tls_certfile and ui.tls_keyfile")
    for name, path in (("ui.tls_certfile", cert), ("ui.tls_keyfile", key)):
        try:
            head = path.expanduser().read_bytes()[:4096]
        except OSError as exc:
            raise ConfigError(f"{name} {path}: {exc.strerror or exc}") from None
        if b"-----BEGIN" not in head:
            raise ConfigError(f"{name} {path} is not a PEM file")
    return str(cert.expanduser()), str(key.expanduser())


def scheme(ui: UISettings) -> str:
    return "https" if ui.tls_certfile else "http"


@dataclass(frozen=True)
class Access:
    """Who may use the UI: the login (None: anyone who reaches the port), and the warning
    to print when that is anyone on the network."""

    login: tuple[str, str] | None
    warning: str | None = None


def check_access(ui: UISettings, host: str, port: int, *, no_auth: bool = False) -> Access:
    """The access policy of serving on `host`: a login when one is configured (unless
    `no_auth`); no login on loopback; on any other interface, ConfigError unless `no_auth`,
    which yields a warning instead."""
    login = None if no_auth else credentials(ui)
    if login is not None or is_loopback(host):
        return Access(login)
    if not no_auth:
        raise ConfigError(
            f"refusing to serve on {host} without a login: anyone who reaches port {port} "
            "could use the archive. Set RAG_UI__USERNAME and RAG_UI__PASSWORD (or "
            "ui.password_file), bind 127.0.0.1, or pass --no-auth to accept the risk"
        )
    can = "ask questions" if ui.read_only else "ask questions and upload documents"
    return Access(
        None,
        f"warning: serving on {host}:{port} with no login (--no-auth): anyone who reaches "
        f"this port can {can}",
    )


def launch(
    demo: gr.Blocks,
    settings: Settings,
    host: str,
    port: int,
    *,
    login: tuple[str, str] | None = None,
    block: bool = True,
    quiet: bool = False,
) -> None:
    """Start the app: no share link, no analytics, no run history, queued events, the
    session count bounded; read-only apps accept no file at all on Gradio's upload route."""
    ui = settings.ui
    tls = tls_files(ui)
    demo.queue(default_concurrency_limit=ui.concurrency)
    # Gradio keeps timings of the last 10,000 events for its analytics page; 1,000 will do.
    if hasattr(demo._queue, "ANALYTICS_MAX_EVENTS"):
        demo._queue.ANALYTICS_MAX_EVENTS = 1000
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        prevent_thread_lock=not block,
        show_error=False,
        auth=LoginGuard(
            login,
            max_failures=ui.login_max_failures,
            lockout_s=ui.login_lockout_s,
            max_failures_total=ui.login_max_failures_total,
        )
        if login
        else None,
        # Gradio's own upload route exists whatever the layout: 0 bytes closes it.
        max_file_size=0 if ui.read_only else int(ui.max_upload_mb * 1_000_000),
        state_session_capacity=ui.max_sessions,
        run_history=False,
        theme=theme(),
        css=CSS,
        ssr_mode=False,
        mcp_server=False,
        pwa=False,
        quiet=quiet,
        footer_links=[],
        app_kwargs={
            "middleware": [Middleware(UploadCap, limit=upload_limit(ui)), Middleware(LoginClient)]
        },
        ssl_certfile=tls[0] if tls else None,
        ssl_keyfile=tls[1] if tls else None,
        # Gradio checks its own URL with the certificate verified: a self-signed one fails.
        ssl_verify=False,
    )


def serve(settings: Settings, host: str, port: int, *, access: Access | None = None) -> None:
    """Open the store once, build the pipeline once, and serve the chat until interrupted.
    `access` defaults to `check_access` without --no-auth (refuses an exposed host
    without a login)."""
    access = access or check_access(settings.ui, host, port)
    ui = settings.ui
    limit_arenas(ui.malloc_arenas)  # before the server's threads make their arenas
    pipeline = Pipeline.from_settings(settings)
    demo = build_app(pipeline, settings)
    housekeeper = Housekeeper(demo, ui.housekeeping_s, ui.session_grace_s, ui.max_sessions)
    housekeeper.start()
    try:
        launch(demo, settings, host, port, login=access.login, quiet=True)
    except OSError as exc:  # port taken, unknown interface
        raise ConfigError(f"cannot serve on {host}:{port}: {exc}") from None
    finally:
        housekeeper.stop()
