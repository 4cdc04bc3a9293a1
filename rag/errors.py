"""Errors the library raises. The CLI and UI turn them into one-line messages; nothing
else should."""


class RagError(Exception):
    """Base class: a problem the user can act on, with a message fit to show as is."""


class InputError(RagError):
    """Bad user input: a missing path, an empty question, an unreadable file."""


class ConfigError(RagError):
    """Settings that cannot work (missing API key, unknown backend, bad URL)."""


class StoreError(RagError):
    """The store is missing, empty, unreachable or built by another embedder."""


class EmbedderMismatchError(StoreError):
    """The store was built with a different embedder than the one configured."""


class EmbedError(RagError):
    """The embedding backend failed (server down, bad answer)."""


class LLMError(RagError):
    """The LLM endpoint failed: unreachable, timed out, refused, or answered garbage."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status the endpoint answered with, if any


class StoreBusyError(StoreError):
    """Another process is writing to the store and the caller chose not to wait."""


class StoreDamagedError(StoreError):
    """A part of the store is damaged (a file truncated or garbled, an index unreadable).
    The message names the part and says to run `rag repair`."""

    def __init__(self, part: str, detail: str, store: str = "", hint: str | None = None) -> None:
        self.part = part
        self.detail = detail
        where = f" --store {store}" if store else ""
        hint = hint or f"run `rag repair{where}`"
        super().__init__(f"the store is damaged: {part} ({detail}); {hint}")
