"""The chat page in a real headless Chromium, driven over the DevTools protocol: ask questions,
then check the rendered DOM (directions, links, sources, fonts, escaping). Screenshots go to
artifacts/ (git-ignored)."""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, make_settings

from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.ingest.run import ingest
from rag.pipeline import Pipeline
from rag.ui.app import build_app
from rag.ui.serve import launch

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        shutil.which("chromium") is None,
        reason="chromium is not installed (scripts/install-browser.sh installs it as root)",
    ),
]
ARTIFACTS = ROOT / "artifacts"
AR_QUESTION = "متى تنتهي مهمة التحالف الدولي في العراق؟"
EN_QUESTION = "When does the coalition mission in Iraq end?"
EVIL_QUESTION = "متى يقام مهرجان الفوانيس في الموصل؟"
EVIL_DOC = (
    'مهرجان الفوانيس في الموصل <img src=x onerror="window.__pwned=1">\n\n'
    "الموصل – أعلنت بلدية الموصل <script>window.__pwned=2</script> أن مهرجان الفوانيس السنوي "
    "سيقام في الثاني عشر من مارس 2024 على ضفاف نهر دجلة بمشاركة ثلاثمئة فنان.\n"
    "وقال مدير البلدية إن المهرجان يهدف إلى إحياء التراث الشعبي للمدينة القديمة.\n"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class DevTools:
    """Just enough of the Chrome DevTools protocol: commands on one page target."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self._ws = connect(ws_url, max_size=None, open_timeout=10)
        self._ids = itertools.count(1)

    def __call__(self, method: str, **params: Any) -> dict:
        n = next(self._ids)
        self._ws.send(json.dumps({"id": n, "method": method, "params": params}))
        while True:
            message = json.loads(self._ws.recv(timeout=30))
            if message.get("id") == n:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]

    def js(self, expression: str) -> Any:
        result = self(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 60.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for: {expression}")

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        path.write_bytes(base64.b64decode(self("Page.captureScreenshot", format="png")["data"]))
        return path

    def fonts_of(self, selector: str) -> list[dict]:
        """Fonts Chromium actually used to draw the text of the first matching element."""
        root = self("DOM.getDocument", depth=-1)["root"]["nodeId"]
        node = self("DOM.querySelector", nodeId=root, selector=selector)["nodeId"]
        assert node, selector
        return self("CSS.getPlatformFontsForNode", nodeId=node)["fonts"]

    def close(self) -> None:
        self._ws.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(
    corpus_store: Path, tmp_path_factory: pytest.TempPathFactory, embedder
) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("browser")
    settings = make_settings(tmp / "store")
    shutil.copytree(corpus_store, settings.store.path)
    store = Store.open(settings.store, embedder)
    evil = tmp / "docs" / "lanterns.txt"
    evil.parent.mkdir()
    evil.write_text(EVIL_DOC, encoding="utf-8")
    assert ingest(evil, store, settings.ingest, settings.chunk).added == ["lanterns.txt"]
    demo = build_app(Pipeline(settings, Retriever(store, settings.retrieve), None), settings)
    port = free_port()
    launch(demo, settings, "127.0.0.1", port, block=False, quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="module")
def page(app_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    profile = tmp_path_factory.mktemp("chromium-profile")
    proc = subprocess.Popen(
        [
            "chromium",
            *FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--window-size=1400,1300",
            "--hide-scrollbars",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        active = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (active.is_file() and active.read_text().strip()):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                log = proc.stderr.read().decode(errors="replace")[-2000:]
                raise AssertionError(f"chromium did not start: {log}")
            time.sleep(0.1)
        port = int(active.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
            target = next(t for t in json.load(reply) if t["type"] == "page")
        tools = DevTools(target["webSocketDebuggerUrl"])
        for domain in ("Page", "DOM", "CSS", "Runtime"):
            tools(f"{domain}.enable")
        tools("Page.navigate", url=app_url)
        # Gradio renders its components one by one: the question box can be there before
        # the Ask button (a fresh-clone run clicked a button that did not exist yet).
        tools.wait_for(
            "!!document.querySelector('#question textarea') && !!document.querySelector('#ask')"
        )
        yield tools
        tools.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def ask(page: DevTools, question: str, answers: int) -> None:
    """Type the question like a user, press Ask, wait for the `answers`-th final answer."""
    page.js("document.querySelector('#question textarea').focus()")
    page("Input.insertText", text=question)
    page.js("document.querySelector('#ask').click()")
    page.wait_for(
        f"document.querySelectorAll('#chat .msg.answer:not(.streaming)').length >= {answers}"
        " && document.querySelectorAll('#sources .src-card').length > 0"
    )


MESSAGES = """Array.from(document.querySelectorAll('#chat .msg')).map(e => ({
  cls: e.className, dir: e.getAttribute('dir'), css: getComputedStyle(e).direction,
  text: e.textContent}))"""
CARDS = """Array.from(document.querySelector('#sources section.sources')
  .querySelectorAll('.src-card')).map(c => ({
  id: c.id, dir: c.getAttribute('dir'), css: getComputedStyle(c).direction,
  title: c.querySelector('.src-title').textContent,
  outlet: c.querySelector('.src-outlet').textContent,
  date: c.querySelector('.src-date').textContent, doc: c.querySelector('.src-doc code').textContent,
  marks: Array.from(c.querySelectorAll('mark')).map(m => m.textContent),
  passage: c.querySelector('.src-passage').textContent}))"""
LINKS = """Array.from(document.querySelectorAll('#chat .msg.answer')).at(-1)
  .querySelectorAll('sup.cite a').length ? Array.from(Array.from(
  document.querySelectorAll('#chat .msg.answer')).at(-1).querySelectorAll('sup.cite a')).map(a => ({
  href: a.getAttribute('href'), title: a.getAttribute('title'),
  target: !!document.getElementById(a.getAttribute('href').slice(1))})) : []"""


@pytest.fixture(scope="module")
def chat(page: DevTools) -> dict[str, dict]:
    """Ask three questions in one conversation; snapshot the rendered DOM after each."""
    snaps = {}
    for n, (name, question) in enumerate(
        [("ar", AR_QUESTION), ("en", EN_QUESTION), ("evil", EVIL_QUESTION)], 1
    ):
        ask(page, question, n)
        page.screenshot(f"ui-browser-{name}.png")
        snaps[name] = {
            "messages": page.js(MESSAGES),
            "links": page.js(LINKS),
            "cards": page.js(CARDS),
        }
        if name == "ar":
            snaps[name]["fonts"] = page.fonts_of("#chat .user-msg .line")
    return snaps


def test_arabic_question_renders_right_to_left_with_sources(chat: dict) -> None:
    messages, links, cards = chat["ar"]["messages"], chat["ar"]["links"], chat["ar"]["cards"]
    user, answer = messages[0], messages[1]
    assert user["text"] == AR_QUESTION
    assert (user["dir"], user["css"]) == ("rtl", "rtl")
    assert "answer" in answer["cls"] and (answer["dir"], answer["css"]) == ("rtl", "rtl")
    assert "بحسب المصادر" in answer["text"]
    assert links and all(link["target"] for link in links), links
    assert all(link["href"].startswith("#src-1-") and "«" in link["title"] for link in links)
    assert len(cards) == len(links)
    for card in cards:
        assert (card["dir"], card["css"]) == ("rtl", "rtl")
        assert card["title"].strip() and card["doc"].endswith(".txt")
        assert any(ch.isdigit() for ch in card["date"]) or "غير مؤرخ" in card["date"]
        assert card["marks"] and all(m.strip() and m in card["passage"] for m in card["marks"])


def test_arabic_is_drawn_with_local_arabic_fonts(chat: dict, page: DevTools) -> None:
    fonts = chat["ar"]["fonts"]
    arabic = [f for f in fonts if "Arabic" in f["familyName"] and f["glyphCount"] > 0]
    assert arabic, fonts  # real Arabic glyphs from an installed Noto font, not boxes
    remote = page.js(
        "performance.getEntriesByType('resource').map(r => r.name)"
        ".filter(u => !u.startsWith(location.origin))"
    )
    assert remote == []  # nothing (fonts included) is fetched from the internet


def test_each_message_keeps_its_own_direction(chat: dict) -> None:
    messages, cards = chat["en"]["messages"], chat["en"]["cards"]
    dirs = [(m["cls"].split()[1], m["dir"], m["css"]) for m in messages]
    assert dirs == [
        ("user-msg", "rtl", "rtl"),
        ("answer", "rtl", "rtl"),
        ("user-msg", "ltr", "ltr"),
        ("answer", "ltr", "ltr"),
    ]
    assert chat["en"]["links"] and all(c["id"].startswith("src-2-") for c in cards)
    assert {c["css"] for c in cards} == {"rtl"}  # Arabic passages stay RTL in an English panel


def test_markup_in_documents_is_shown_not_run(chat: dict, page: DevTools) -> None:
    cards = chat["evil"]["cards"]
    assert any(c["doc"] == "lanterns.txt" for c in cards), cards
    shown = " ".join(c["passage"] + c["title"] for c in cards)
    assert "<script>window.__pwned=2</script>" in shown or 'onerror="window.__pwned' in shown
    assert page.js("typeof window.__pwned") == "undefined"
    assert (
        page.js(
            "document.querySelectorAll('#sources script, #sources img, #chat .msg img, "
            "#chat .msg script').length"
        )
        == 0
    )


def test_clicking_a_marker_goes_to_its_source(chat: dict, page: DevTools) -> None:
    href = page.js(
        "document.querySelector('#chat .msg.answer:last-of-type sup.cite a, "
        "#chat sup.cite a').getAttribute('href')"
    )
    page.js(f"document.querySelector('#chat sup.cite a[href=\"{href}\"]').click()")
    assert page.js("location.hash") == href
    assert page.js(f"!!document.querySelector('{href}')")
