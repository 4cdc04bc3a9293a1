"""The chat app, running in-process on 127.0.0.1 over a copy of the sample corpus store,
driven over HTTP with gradio_client (and its actions called directly for LLM cases)."""

from __future__ import annotations

import html
import json
import re
import shutil
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from conftest import make_settings
from gradio_client import Client, handle_file
from openai_server import Reply, ScriptedOpenAIServer
from typer.testing import CliRunner

from rag.answer.llm import OpenAIChat
from rag.index.retrieve import Retriever
from rag.index.store import Store
from rag.pipeline import Pipeline
from rag.settings import Settings
from rag.text import fold
from rag.ui.app import ChatActions, build_app
from rag.ui.serve import launch

AR_QUESTION = "متى تنتهي مهمة التحالف الدولي في العراق؟"
EN_QUESTION = "When does the coalition mission in Iraq end?"
LANTERNS = (
    "مهرجان الفوانيس في الموصل يعود بعد غياب طويل\n\n"
    "الموصل – أعلنت بلدية الموصل أن مهرجان الفوانيس السنوي سيقام في الثاني عشر من مارس 2024 "
    "على ضفاف نهر دجلة بمشاركة ثلاثمئة فنان من مختلف المحافظات.\n"
    "وقال مدير البلدية إن المهرجان يهدف إلى إحياء التراث الشعبي للمدينة القديمة.\n"
)
CARD = re.compile(r'<article class="src-card" id="(src-[\d-]+)"[^>]*>.*?</article>', re.S)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_settings(corpus_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    target = tmp_path_factory.mktemp("ui") / "store"  # a writable copy, like `copy_store`
    shutil.copytree(corpus_store, target)
    return make_settings(target)


@pytest.fixture(scope="module")
def pipeline(app_settings: Settings, embedder) -> Pipeline:
    store = Store.open(app_settings.store, embedder)
    return Pipeline(app_settings, Retriever(store, app_settings.retrieve), None)


@pytest.fixture(scope="module")
def app_url(pipeline: Pipeline, app_settings: Settings):
    demo = build_app(pipeline, app_settings)
    port = free_port()
    launch(demo, app_settings, "127.0.0.1", port, block=False, quiet=True)
    assert demo.server_name == "127.0.0.1" and not demo.share
    assert demo.analytics_enabled is False
    yield f"http://127.0.0.1:{port}/"
    demo.close()


def content(message: dict) -> str:
    """Text of a chat message as gradio_client returns it (a list of parts in Gradio 6)."""
    parts = message["content"]
    if isinstance(parts, str):
        return parts
    return "".join(p.get("text", "") for p in parts if isinstance(p, dict))


def ask(client: Client, question: str, chat: list | None = None, **options) -> tuple[list, str]:
    """(chat, sources panel of this answer only) after asking `question`."""
    chat_out, panel, box = client.predict(question, chat or [], api_name="/ask", **options)
    assert box == ""
    if not isinstance(panel, str):  # an error leaves the panel as it was (a skipped update)
        panel = ""
    return chat_out, panel.split('<div class="earlier">')[0]


def assert_cited(pipeline: Pipeline, answer: str, sources: str) -> None:
    """Markers link to cards, and every highlighted quote is in its original document."""
    links = re.findall(r'<a href="#(src-[\d-]+)" title="[^"]+">\[\d+\]</a>', answer)
    cards = dict((m.group(1), m.group(0)) for m in CARD.finditer(sources))
    assert links and set(links) <= set(cards), (links, list(cards))
    for card in cards.values():
        doc_id = html.unescape(re.search(r'<code dir="ltr">(.*?)</code>', card).group(1))
        texts = pipeline.retriever.store.texts([doc_id])
        marks = re.findall(r"<mark>(.*?)</mark>", card, re.S)
        assert marks, card
        for mark in marks:
            assert fold(html.unescape(mark)) in fold(texts[doc_id])


def test_arabic_and_english_questions_get_cited_answers(app_url: str, pipeline: Pipeline) -> None:
    client = Client(app_url, verbose=False)
    chat, sources = ask(client, AR_QUESTION)
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert 'dir="rtl"' in content(chat[0]) and AR_QUESTION in content(chat[0])
    answer = content(chat[1])
    assert answer.startswith('<div class="msg answer" dir="rtl" lang="ar">')
    assert "بحسب المصادر" in answer
    assert_cited(pipeline, answer, sources)
    assert "المصادر" in sources and "Traceback" not in sources

    chat, sources = ask(client, EN_QUESTION, language="en")
    answer = content(chat[-1])
    assert answer.startswith('<div class="msg answer" dir="ltr" lang="en">')
    assert_cited(pipeline, answer, sources)
    # An English panel whose cards keep the direction of their Arabic passages.
    assert sources.startswith('<section class="sources" id="turn-2" dir="ltr" lang="en">')
    assert re.search(r'<article class="src-card" id="src-2-1" dir="rtl" lang="ar">', sources)


def test_unanswerable_question_abstains_honestly(app_url: str) -> None:
    client = Client(app_url, verbose=False)
    chat, sources = ask(client, "What is the recipe for a chocolate cake?")
    answer = content(chat[-1])
    assert 'class="msg answer abstained"' in answer
    assert "does not answer this question" in answer
    assert "<sup" not in answer  # no made-up citations
    assert "not used as evidence" in sources or "No sources." in sources


def test_follow_up_uses_the_conversation(app_url: str) -> None:
    client = Client(app_url, verbose=False)
    chat, _ = ask(client, EN_QUESTION)
    chat, sources = ask(client, "And in Syria?", chat)
    assert [m["role"] for m in chat] == ["user", "assistant"] * 2
    searched = re.search(r'<div class="searched">Searched for: <q dir="ltr">(.*?)</q>', sources)
    assert searched, sources
    assert searched.group(1) == f"{EN_QUESTION} And in Syria?"
    assert 'href="#src-2-1"' in content(chat[-1])  # second turn, its own source ids
    # A new conversation forgets the history.
    client.predict(api_name="/clear")
    _, sources = ask(client, "And in Syria?")
    assert "Searched for" not in sources


def test_filters_and_bad_input_show_readable_messages(app_url: str) -> None:
    client = Client(app_url, verbose=False)
    chat, sources = ask(client, AR_QUESTION, since="2030-01-01")
    assert "abstained" in content(chat[-1]) and "No sources." not in sources
    chat, _ = ask(client, AR_QUESTION, since="not a date")
    error = content(chat[-1])
    assert 'class="msg error" role="alert"' in error
    assert "cannot read &#x27;not a date&#x27; as a date" in error
    chat, _ = ask(client, AR_QUESTION, backend="openai")  # no LLM configured in tests
    assert "backend &#x27;openai&#x27; needs llm.base_url" in content(chat[-1])
    chat, sources = ask(client, AR_QUESTION, sources=["نيوزاليست"])
    assert "002_16a49567d1a4bb31.txt" in sources and "001_61bb7769a5e0bcb8.txt" not in sources
    for message in chat:
        assert "Traceback" not in content(message)


def test_upload_adds_a_document_that_questions_find(
    app_url: str, app_settings: Settings, pipeline: Pipeline, tmp_path: Path
) -> None:
    doc = tmp_path / "lanterns.txt"
    doc.write_text(LANTERNS, encoding="utf-8")
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    client = Client(app_url, verbose=False)
    report, _, _ = client.predict(
        [handle_file(str(doc)), handle_file(str(empty))], api_name="/upload"
    )
    assert "Added (1): lanterns.txt" in report
    assert "Skipped (1):" in report and "empty.txt: empty file" in report
    uploads = Path(app_settings.store.path) / "uploads"
    assert sorted(p.name for p in uploads.iterdir()) == ["lanterns.txt"]
    assert "lanterns.txt" in pipeline.retriever.store.documents()

    chat, sources = ask(client, "متى يقام مهرجان الفوانيس في الموصل؟")
    assert "lanterns.txt" in sources
    assert_cited(pipeline, content(chat[-1]), sources)
    assert "مارس 2024" in sources

    report, _, _ = client.predict([handle_file(str(doc))], api_name="/upload")
    assert "unchanged (1): lanterns.txt" in report


def test_uploads_cannot_escape_the_store_or_exceed_limits(
    pipeline: Pipeline, app_settings: Settings, tmp_path: Path
) -> None:
    settings = app_settings.model_copy(deep=True)
    settings.ui.max_upload_mb = 0.001  # 1 kB
    actions = ChatActions(pipeline, settings)
    names = ["..secret.txt", "run.sh", ".env.txt", "big.txt", "ok.md"]
    for name in names:
        (tmp_path / name).write_text("x" * (5000 if name == "big.txt" else 10), encoding="utf-8")
    staged, rejected = actions.stage([str(tmp_path / n) for n in names])
    assert [p.name for p in staged] == ["ok.md"]
    assert staged[0].parent == Path(app_settings.store.path) / "uploads"
    reasons = dict(rejected)
    assert reasons["..secret.txt"] == "file name not allowed"
    assert reasons[".env.txt"] == "file name not allowed"
    assert reasons["run.sh"].startswith("file type not allowed")
    assert reasons["big.txt"].startswith("too large")
    staged[0].unlink()
    assert not any(p.name in names for p in tmp_path.parent.iterdir())


def test_ten_concurrent_clients_all_get_answers(app_url: str, pipeline: Pipeline) -> None:
    questions = [AR_QUESTION if i % 2 == 0 else EN_QUESTION for i in range(10)]

    def one(question: str) -> tuple[str, str]:
        chat, sources = ask(Client(app_url, verbose=False), question)
        return content(chat[-1]), sources

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(one, questions))
    assert len(results) == 10
    for question, (answer, sources) in zip(questions, results, strict=True):
        assert f'dir="{"rtl" if question == AR_QUESTION else "ltr"}"' in answer
        assert_cited(pipeline, answer, sources)
    assert time.perf_counter() - started < 60


# --- LLM backend, status and errors (actions called directly) ------------------------------
def _run(actions: ChatActions, question: str, backend: str) -> list[tuple]:
    return list(actions.ask(question, [], [], [], "auto", 5, "", "", [], backend))


def _quote_first_sentence(request: dict) -> Reply:
    """Restates the first evidence sentence with a year (verifiable, and it answers "when")
    and adds a made-up claim citing 7."""
    prompt = request["messages"][-1]["content"]
    n, first = re.search(r"^\[(\d+)\] (.*\b20\d\d\b.*)$", prompt, re.M).groups()
    claims = [
        {"arabic_sentence": first, "support": [int(n)]},
        {"arabic_sentence": "وقالت مصادر أخرى إن 7777 جنديا انسحبوا", "support": [7]},
    ]
    return Reply.chat(json.dumps({"answer": claims}, ensure_ascii=False))


def test_llm_answer_streams_and_shows_dropped_citations(
    app_settings: Settings, pipeline: Pipeline
) -> None:
    with ScriptedOpenAIServer() as server:
        server.script(_quote_first_sentence)
        settings = make_settings(
            Path(app_settings.store.path),
            llm={
                "base_url": server.base_url,
                "model": "test-model",
                "max_retries": 0,
                "timeout": 10,
            },
        )
        actions = ChatActions(
            Pipeline(settings, pipeline.retriever, OpenAIChat(settings.llm)), settings
        )
        assert "configured (test-model at 127.0.0.1:" in actions.llm_status()
        assert "— reachable" in actions.llm_status()
        steps = _run(actions, AR_QUESTION, "openai")
    streamed = [s for s in steps if "streaming" in str(s[0][-1]["content"])]
    assert len(streamed) > 3  # the answer arrived piece by piece
    chat, history, _, sources, _ = steps[-1]
    answer = chat[-1]["content"]
    assert 'href="#src-1-1"' in answer and "[7]" not in answer
    assert "حُذف 1 من الاستشهادات" in answer  # the unverifiable [7] is reported, not hidden
    assert "جمل بلا اقتباس موثق" in answer
    assert "7777" not in answer.split("جمل بلا اقتباس موثق")[0]
    assert "مسودة النموذج" in answer  # the streamed draft held the made-up claim: said so
    assert "openai:test-model" in sources and "<mark>" in sources
    assert history[-1]["role"] == "assistant" and "[1]" in history[-1]["content"]


def test_llm_down_is_reported_and_answer_falls_back(
    app_settings: Settings, pipeline: Pipeline
) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    settings = make_settings(
        Path(app_settings.store.path), llm={"base_url": url, "max_retries": 0, "timeout": 3}
    )
    chat_pipeline = Pipeline(settings, pipeline.retriever, OpenAIChat(settings.llm))
    actions = ChatActions(chat_pipeline, settings)
    assert "unreachable" in actions.llm_status()
    chat, _, _, sources, _ = _run(actions, EN_QUESTION, "openai")[-1]
    answer = chat[-1]["content"]
    assert "The LLM was not used (cannot reach the LLM endpoint" in answer
    assert 'href="#src-1-1"' in answer  # the extractive answer still cites
    assert "Backend: <bdi>extractive</bdi>" in sources


def test_empty_store_is_a_chat_message(tmp_path: Path, embedder) -> None:
    settings = make_settings(tmp_path / "empty")
    store = Store.open(settings.store, embedder, create=True)
    actions = ChatActions(Pipeline(settings, Retriever(store, settings.retrieve), None), settings)
    chat, history, _, _, _ = _run(actions, AR_QUESTION, "extractive")[-1]
    assert "the store is empty" in chat[-1]["content"] and 'role="alert"' in chat[-1]["content"]
    assert history == []
    steps = _run(actions, "   ", "extractive")
    assert len(steps) == 1 and steps[0][0] == []  # a blank question does nothing


def test_serve_command_reports_a_missing_store(tmp_path: Path) -> None:
    from rag.cli.commands import app

    result = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "none"), "--port", "7999"])
    assert result.exit_code == 1
    assert "no store at" in result.output and "Traceback" not in result.output
