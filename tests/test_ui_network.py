"""The chat UI on a network: loopback detection, refusal without a login, --no-auth and its
warning, a login through gradio_client, read-only mode, and bounded per-session state.
Servers are real `rag serve` processes bound to 0.0.0.0 on free ports."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, make_settings
from gradio_client import Client
from gradio_client.exceptions import AuthenticationError
from typer.testing import CliRunner

from rag.cli.commands import app as cli
from rag.errors import ConfigError
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.pipeline import Pipeline
from rag.settings import Settings
from rag.ui.app import ChatActions
from rag.ui.serve import check_access, credentials, is_loopback

EN_QUESTION = "When does the coalition mission in Iraq end?"
AR_QUESTION = "متى تنتهي مهمة التحالف الدولي في العراق؟"
USER, PASSWORD = "editor", "correct horse battery staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LocalHost", True),
        ("::ffff:127.0.0.1", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("10.0.0.1", False),
        ("fe80::1", False),
        ("news.example.org", False),
        ("localhost.example.org", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_access_policy_and_credentials(tmp_path: Path) -> None:
    ui = Settings().ui
    assert check_access(ui, "127.0.0.1", 7860).login is None
    with pytest.raises(ConfigError, match=r"refusing to serve on 0\.0\.0\.0 without a login"):
        check_access(ui, "0.0.0.0", 7860)
    warned = check_access(ui, "0.0.0.0", 7860, no_auth=True)
    assert warned.login is None and "anyone who reaches this port" in warned.warning
    ui.username = USER
    with pytest.raises(ConfigError, match=r"needs both ui\.username and ui\.password"):
        credentials(ui)
    secret = tmp_path / "password"
    secret.write_text(f"{PASSWORD}\n", "utf-8")
    ui.password_file = secret
    assert check_access(ui, "0.0.0.0", 7860).login == (USER, PASSWORD)
    ui.password = PASSWORD
    with pytest.raises(ConfigError, match="not both"):
        credentials(ui)
    ui.password = None
    secret.write_text("", "utf-8")
    with pytest.raises(ConfigError, match="no password on its first line"):
        credentials(ui)


def test_exposed_serve_without_login_refuses_in_one_line(corpus_store: Path) -> None:
    port = free_port()
    result = CliRunner().invoke(
        cli, ["serve", "--store", str(corpus_store), "--host", "0.0.0.0", "--port", str(port)]
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: refusing to serve on 0.0.0.0 without a login")
    assert "RAG_UI__USERNAME" in lines[0] and "--no-auth" in lines[0]
    with socket.socket() as s:  # nothing was bound
        assert s.connect_ex(("127.0.0.1", port)) != 0


def test_config_masks_the_password() -> None:
    env = {"RAG_UI__USERNAME": USER, "RAG_UI__PASSWORD": PASSWORD}
    result = CliRunner().invoke(cli, ["config"], env=env)
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert '"password": "**********"' in result.output


class Server:
    """`rag serve ARGS` in a child process, up once its port accepts connections."""

    def __init__(self, store: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        clean = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "rag.cli",
                "serve",
                "--store",
                str(store),
                *args,
                "--port",
                str(self.port),
            ],
            env={**clean, "PYTHONPATH": str(ROOT), **(env or {})},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.url = f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.stderr.read()
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.3)
        raise AssertionError("rag serve did not start")

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> str:
        """Stop the server; its stderr."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            _, errors = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, errors = self.proc.communicate()
        return errors


def ask(client: Client, question: str, chat: list | None = None) -> tuple[list, str]:
    chat_out, panel, _ = client.predict(question, chat or [], api_name="/ask")
    return chat_out, panel if isinstance(panel, str) else ""


def test_no_auth_serves_everyone_and_warns(corpus_store: Path) -> None:
    server = Server(corpus_store, "--host", "0.0.0.0", "--no-auth")
    with server:
        chat, sources = ask(Client(server.url, verbose=False), EN_QUESTION)
        assert 'class="msg answer' in str(chat[-1]) and "src-card" in sources
    errors = server.stop()
    lines = errors.strip().splitlines()
    assert lines[0] == (
        f"warning: serving on 0.0.0.0:{server.port} with no login (--no-auth): anyone who "
        "reaches this port can ask questions and upload documents"
    )
    assert lines[1].startswith(f"chat UI on http://0.0.0.0:{server.port}/ ")
    assert "Traceback" not in errors


def test_login_and_read_only_through_gradio_client(copy_store: Path) -> None:
    env = {"RAG_UI__USERNAME": USER, "RAG_UI__PASSWORD": PASSWORD}
    server = Server(copy_store, "--host", "0.0.0.0", "--read-only", env=env)
    with server:
        with pytest.raises(AuthenticationError):
            Client(server.url, verbose=False)
        with pytest.raises(ValueError, match="Could not login"):
            Client(server.url, verbose=False, auth=(USER, "wrong"))
        assert httpx.get(f"{server.url}config").status_code == 401

        client = Client(server.url, verbose=False, auth=(USER, PASSWORD))
        chat, sources = ask(client, AR_QUESTION)
        assert 'dir="rtl"' in str(chat[-1]) and "src-card" in sources
        # Read-only: no upload endpoint, and Gradio's own file route takes no file.
        assert (
            "/upload"
            not in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        )
        with pytest.raises(ValueError, match="upload"):
            client.predict([], api_name="/upload")
        with httpx.Client(base_url=server.url) as http:
            login = http.post("login", data={"username": USER, "password": PASSWORD})
            assert login.status_code == 200
            sent = http.post("gradio_api/upload", files={"files": ("a.txt", b"some text")})
            assert sent.status_code == 413
        assert not (copy_store / "uploads").exists()
    errors = server.stop()
    assert re.search(
        rf"chat UI on http://0.0\.0\.0:{server.port}/, login as {USER}, read-only", errors
    )
    assert PASSWORD not in errors and "warning" not in errors


# --- bounded per-session state ------------------------------------------------------------
@pytest.fixture(scope="module")
def small_limits(corpus_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    target = tmp_path_factory.mktemp("ui-net") / "store"
    shutil.copytree(corpus_store, target)
    return make_settings(
        target,
        ui={"max_source_panels": 3, "max_history_turns": 2, "max_upload_files": 2},
    )


class RecordingPipeline(Pipeline):
    """The real pipeline, remembering the history each question was given."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.histories: list[list[dict]] = []

    def ask_stream(self, question, **options):
        self.histories.append(list(options.get("history") or []))
        yield from super().ask_stream(question, **options)


@pytest.fixture(scope="module")
def recording(small_limits: Settings, embedder) -> RecordingPipeline:
    store = Store.open(small_limits.store, embedder)
    return RecordingPipeline(small_limits, Retriever(store, small_limits.retrieve), None)


def _last(actions: ChatActions, question: str, chat, history, panels) -> tuple:
    steps = list(actions.ask(question, chat, history, panels, "auto", 5, "", "", [], "extractive"))
    return steps[-1]


def test_session_state_is_trimmed_whatever_the_client_sent(
    recording: RecordingPipeline, small_limits: Settings
) -> None:
    actions = ChatActions(recording, small_limits)
    huge_chat = [
        {"role": r, "content": "x" * 1000} for _ in range(200) for r in ("user", "assistant")
    ]
    huge_history = [
        {"role": r, "content": f"turn {i}"} for i in range(200) for r in ("user", "assistant")
    ]
    huge_panels = [
        (i, f'<section class="sources" id="turn-{i}">{"y" * 3000}</section>')
        for i in range(500, 0, -1)
    ]
    chat, history, panels, panel_html, box = _last(
        actions, "And in Syria?", huge_chat, huge_history, huge_panels
    )
    assert recording.histories[-1] == huge_history[-4:]  # 2 turns reached the pipeline
    assert len(chat) == 2 * 3 and ">And in Syria?<" in chat[-2]["content"]
    assert len(history) == 2 * 2 and history[-2]["content"] == "And in Syria?"
    assert [turn for turn, _ in panels] == [501, 500, 499]  # the newest turn number goes on
    assert panel_html.count('<section class="sources"') == 3
    assert 'href="#src-501-' in chat[-1]["content"] or "abstained" in chat[-1]["content"]
    assert box == ""


def test_one_session_asking_many_questions_stays_bounded(
    recording: RecordingPipeline, small_limits: Settings
) -> None:
    """Eight questions in one session through the API, sending an empty chat each time, as
    in the issue: the sources panel stops growing after three answers."""
    from rag.ui.app import build_app
    from rag.ui.serve import launch

    demo = build_app(recording, small_limits)
    port = free_port()
    launch(demo, small_limits, "127.0.0.1", port, block=False, quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False)
        sizes, chat = [], []
        recording.histories.clear()
        for n in range(8):
            question = EN_QUESTION if n % 2 else AR_QUESTION
            chat, panel = ask(client, question, chat if n >= 4 else [])
            sizes.append(len(panel.encode()))
            turns = re.findall(r'<section class="sources" id="turn-(\d+)"', panel)
            assert turns == [str(t) for t in range(n + 1, max(0, n - 2), -1)]
        assert len(chat) <= 2 * 3
        assert max(sizes[3:]) < 1.5 * max(sizes[:3])  # bounded, not growing with turns
        assert max(len(h) for h in recording.histories) == 2 * 2
    finally:
        demo.close()


def test_upload_count_and_read_only_limits(copy_store: Path, embedder, tmp_path: Path) -> None:
    settings = make_settings(copy_store, ui={"max_upload_files": 2})
    pipeline = Pipeline(
        settings, Retriever(Store.open(settings.store, embedder), settings.retrieve), None
    )
    files = []
    for n in range(3):
        path = tmp_path / f"note{n}.txt"
        path.write_text(
            f"Note {n}\n\nThe harbour of Basra reopened on {n + 1} May 2024.\n", "utf-8"
        )
        files.append(str(path))
    report, _, _ = ChatActions(pipeline, settings).upload(files)
    assert "Added (2): note0.txt, note1.txt" in report
    assert "note2.txt: over the limit of 2 files per upload" in report
    assert sorted(p.name for p in (copy_store / "uploads").iterdir()) == ["note0.txt", "note1.txt"]

    settings.ui.read_only = True
    report, _, _ = ChatActions(pipeline, settings).upload(files[2:])
    assert report == "This archive is read-only: uploads are off."
    assert "note2.txt" not in pipeline.retriever.store.documents()


# --- login lockout and login tokens -------------------------------------------------------
def test_login_guard_locks_out_after_repeated_failures() -> None:
    from rag.ui.login import LoginGuard

    now = [0.0]
    guard = LoginGuard((USER, PASSWORD), max_failures=3, lockout_s=60, clock=lambda: now[0])
    assert guard(USER, PASSWORD)
    assert not guard(USER, "guess 1") and not guard("admin", PASSWORD)
    assert guard(USER, PASSWORD) and not guard.locked  # two failures: not yet
    assert not guard(USER, "guess 3") and guard.locked
    assert not guard(USER, PASSWORD), "the right password let in during a lockout"
    now[0] = 59.9
    assert not guard(USER, PASSWORD)
    now[0] = 60.0
    assert guard(USER, PASSWORD) and not guard.locked
    # Failures older than the window do not add up to a lockout.
    for t in (100.0, 200.0, 300.0, 400.0):
        now[0] = t
        assert not guard(USER, "slow guess")
    assert not guard.locked
    unlimited = LoginGuard((USER, PASSWORD), max_failures=0, lockout_s=60)
    assert not any(unlimited(USER, f"guess {i}") for i in range(20))
    assert unlimited(USER, PASSWORD)


def test_login_lockout_is_per_client_with_a_limit_for_all() -> None:
    from rag.ui.login import LOGIN_CLIENT, LoginGuard

    now = [0.0]
    guard = LoginGuard(
        (USER, PASSWORD), max_failures=3, lockout_s=60, max_failures_total=5, clock=lambda: now[0]
    )

    def attempt(client: str, password: str) -> bool:
        token = LOGIN_CLIENT.set(client)
        try:
            return guard(USER, password)
        finally:
            LOGIN_CLIENT.reset(token)

    assert not any(attempt("10.0.0.9", f"guess {i}") for i in range(3))
    assert not attempt("10.0.0.9", PASSWORD), "the guesser's address got in during its lockout"
    assert attempt("10.0.0.1", PASSWORD), "the real user elsewhere was locked out too"
    # A guesser spread over addresses meets the all-clients limit (5 failures in the window).
    assert not attempt("10.0.0.2", "guess") and not attempt("10.0.0.3", "guess")
    assert not attempt("10.0.0.1", PASSWORD), "the all-clients lockout let a login in"
    now[0] = 60.0
    assert attempt("10.0.0.1", PASSWORD) and attempt("10.0.0.9", PASSWORD)


def test_login_tokens_are_bounded() -> None:
    from types import SimpleNamespace

    from rag.ui.login import bound_login_tokens

    app = SimpleNamespace(tokens={f"t{i}": USER for i in range(10)})
    assert bound_login_tokens(app, 4) == 6
    assert list(app.tokens) == ["t6", "t7", "t8", "t9"]  # the newest logins stay
    assert bound_login_tokens(app, 4) == 0 and bound_login_tokens(None, 4) == 0


def test_repeated_failed_logins_lock_that_address_out_for_a_while(corpus_store: Path) -> None:
    env = {
        "RAG_UI__USERNAME": USER,
        "RAG_UI__PASSWORD": PASSWORD,
        "RAG_UI__LOGIN_MAX_FAILURES": "3",
        "RAG_UI__LOGIN_LOCKOUT_S": "3",
    }
    server = Server(corpus_store, "--host", "0.0.0.0", env=env)
    with server, httpx.Client(base_url=server.url) as http:

        def login(password: str) -> int:
            return http.post("login", data={"username": USER, "password": password}).status_code

        assert [login(f"guess {i}") for i in range(3)] == [400, 400, 400]
        locked_at = time.monotonic()
        assert login(PASSWORD) == 400, "the right password let in during a lockout"
        # Another address (127.0.0.2 reaches the server on loopback) is not locked out.
        elsewhere = httpx.HTTPTransport(local_address="127.0.0.2")
        with httpx.Client(base_url=server.url, transport=elsewhere) as other:
            ok = other.post("login", data={"username": USER, "password": PASSWORD})
            assert ok.status_code == 200, "one address's failures locked out another"
        time.sleep(max(0.0, locked_at + 3.2 - time.monotonic()))
        assert login(PASSWORD) == 200
    assert "Traceback" not in server.stop()


# --- HTTPS --------------------------------------------------------------------------------
def test_half_a_tls_setting_is_a_one_line_error(corpus_store: Path, tmp_path: Path) -> None:
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate", "utf-8")

    def serve(**env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "rag.cli", "serve", "--store", str(corpus_store)],
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    result = serve(RAG_UI__TLS_CERTFILE=str(cert))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "error: HTTPS needs both ui.tls_certfile and ui.tls_keyfile"
    ]
    result = serve(RAG_UI__TLS_CERTFILE=str(cert), RAG_UI__TLS_KEYFILE=str(cert))
    assert result.returncode != 0 and "is not a PEM file" in result.stderr


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test certificate")
def test_https_with_a_login(corpus_store: Path, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    env = {
        "RAG_UI__USERNAME": USER,
        "RAG_UI__PASSWORD": PASSWORD,
        "RAG_UI__TLS_CERTFILE": str(cert),
        "RAG_UI__TLS_KEYFILE": str(key),
    }
    server = Server(corpus_store, "--host", "0.0.0.0", env=env)
    with server:
        https = f"https://127.0.0.1:{server.port}/"
        with httpx.Client(base_url=https, verify=False) as http:
            assert http.get("config").status_code == 401
            login = http.post("login", data={"username": USER, "password": PASSWORD})
            assert login.status_code == 200
            assert http.get("config").status_code == 200
        with pytest.raises(httpx.HTTPError):  # no plain HTTP beside it
            httpx.get(f"http://127.0.0.1:{server.port}/config", timeout=10)
    errors = server.stop()
    assert f"chat UI on https://0.0.0.0:{server.port}/, login as {USER}" in errors
    assert "Traceback" not in errors


def test_one_upload_request_is_bounded_in_bytes(corpus_store: Path) -> None:
    """Gradio's file route takes 1,000 files per request at the per-file limit; the whole
    request is held to ui.max_upload_files x ui.max_upload_mb before Gradio reads it."""
    env = {"RAG_UI__MAX_UPLOAD_MB": "0.5", "RAG_UI__MAX_UPLOAD_FILES": "2"}
    server = Server(corpus_store, env=env)
    chunk = b"x" * 400_000
    with server, httpx.Client(base_url=server.url, timeout=30) as http:
        files = [("files", (f"{i}.txt", chunk)) for i in range(3)]
        assert http.post("gradio_api/upload", files=files).status_code == 413
        two = http.post("gradio_api/upload", files=files[:2])
        assert two.status_code == 200 and len(two.json()) == 2
        # The same route with a trailing slash is held too.
        assert http.post("gradio_api/upload/", files=files).status_code == 413
    assert "Traceback" not in server.stop()
