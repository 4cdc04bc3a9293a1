"""Hybrid retrieval: multilingual dense search fused with Arabic-aware BM25."""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from functools import partial
from itertools import chain

import numpy as np

from rag.errors import InputError, StoreError
from rag.index.bridge import TermBridge, content_word, script_of, surface_forms
from rag.index.dated import with_dates
from rag.index.dictionary import Dictionary, find_dictionary, translate_words
from rag.index.duplicates import collapse_duplicates
from rag.index.feedback import feedback_terms, without_variants
from rag.index.fusion import adaptive_weights, rrf
from rag.index.names import NameIndex, VectorsOf, pick_closest, pick_names
from rag.index.proximity import with_proximity
from rag.index.query import Expansion, SearchFilters, add_new, check_question
from rag.index.records import filters
from rag.index.store import Store
from rag.index.translation import CachedTranslator, Translation, target_language, words_in_script
from rag.settings import RetrieveSettings
from rag.text import detect_language, light_tokens, question_type
from rag.types import Chunk, Passage, SourceRef

_EXPANSIONS = 256  # bridge expansions remembered per retriever
# Names looked up per question: each brings up to 32 words to embed with it. A pasted list
# of 345 made-up names took 0.72 s to search on XQuAD's small archive (1,893 words to
# embed), 0.27 s with this cap, as with no names at all.
_MAX_NAMES = 8
_MIN_SCRIPT_WORDS = 5  # archive words in a script below which no translation into it is asked
__all__ = ["Retriever", "SearchFilters", "check_question", "rrf"]


class Retriever:
    """Finds the passages of an archive that best match a question, in any language."""

    def __init__(
        self,
        store: Store,
        settings: RetrieveSettings,
        translator: CachedTranslator | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.translator = translator  # an LLM's translations for the BM25 query, if any
        # Recent bridge expansions: `ask` expands the same question twice (to search, then
        # to score sentences), and each expansion embeds words and reads the word matrix.
        self._expansions: OrderedDict[str, str] = OrderedDict()
        self._expanded_with: object = None
        self._dictionary: Dictionary | None = None  # loaded on the first question
        self._scripts: tuple[object, Counter[str]] | None = None  # archive words per script
        self._lock = threading.Lock()

    def clear_caches(self) -> None:
        """Forget recent expansions (benchmarks measure cold questions)."""
        with self._lock:
            self._expansions.clear()

    def lexical_query(self, question: str) -> str:
        """The BM25 query: the question plus its cross-lingual bridge expansions."""
        return " ".join([question, *self._expanded(question, None)[1].extra])

    def _expanded(
        self, question: str, embed_too: str | None
    ) -> tuple[np.ndarray | None, Expansion]:
        """(vector of `embed_too`, bridge expansion of `question`). The question's bridge
        words are embedded in the same call as `embed_too`: one embedder call instead of two
        saved ~4 ms per search."""
        texts = [embed_too] if embed_too is not None else []
        none = Expansion([], np.zeros((0, 1), np.float32), [])
        if not self.settings.bridge:
            return (self.store.embedder.embed(texts)[0] if texts else None), none
        bridge = self.store.bridge()
        with self._lock:
            if self._expanded_with is not bridge:  # the archive changed
                self._expansions.clear()
                self._expanded_with = bridge
            hit = self._expansions.get(question)
            if hit is not None:
                self._expansions.move_to_end(question)
        words = bridge.query_words(question) if hit is None else []
        forms = surface_forms(question) if hit is None else {}
        shown = [forms.get(w, w) if self.settings.bridge_keep_case else w for w in words]
        arabic = self._crossed_arabic(question) if hit is None else []
        names = self._name_candidates(question, forms, arabic) if hit is None else []
        # An Arabic word's English sound-alikes (over English sources) are mostly the
        # bridge's words, which have vectors: only the others are embedded.
        sounds = {name: found for name, found in names if script_of(name) == "ar"}
        names = [(name, found) for name, found in names if name not in sounds]
        name_texts = [t for name, found in names for t in (name, *found)]
        wanted = dict.fromkeys(chain(sounds, *sounds.values()))
        unseen = [w for w in wanted if w not in bridge.index and w not in words]
        embed = [*texts, *shown, *name_texts, *unseen]
        vectors = self.store.embedder.embed(embed) if embed else None
        vector = vectors[0] if texts and vectors is not None else None
        if hit is not None:
            return vector, hit
        assert vectors is not None or not (words or names)
        word_vectors = (
            vectors[len(texts) : len(texts) + len(words)] if vectors is not None else none.vectors
        )
        # The reverse aids' vectors: the question's Arabic words and unseen sound-alikes as
        # embedded here, the other archive words' from the bridge.
        tail = vectors[len(embed) - len(unseen) :] if vectors is not None else []
        own = dict(zip(unseen, tail, strict=True))
        own.update((w, v) for w, v in zip(words, word_vectors, strict=True) if script_of(w) == "ar")
        vectors_of = partial(bridge.vectors_of, also=own)
        translations = self._translations(question, vectors_of, arabic)
        extra = self._bridged(words, word_vectors, translations, bridge)
        # Dictionary words the bridge already found are not added again: BM25 counts a
        # repeated query term twice, and doubling the agreed words measured worse on XQuAD
        # en→ar (nDCG@10 0.837 against 0.846, docs/BENCHMARKS.md).
        translated = [w for ws in translations.values() for w in ws]
        cfg = self.settings
        if names:
            assert vectors is not None
            rows = vectors[len(texts) + len(words) :]
            translated += pick_names(names, rows, cfg.names_threshold, cfg.names_terms)
        if sounds:
            found = pick_closest(sounds, vectors_of, cfg.names_threshold, cfg.names_terms)
            translated += [w for ws in found.values() for w in ws]
        if translated:
            add_new(extra, translated, question)
        expansion = Expansion(words, word_vectors, extra)
        with self._lock:
            self._expansions[question] = expansion
            while len(self._expansions) > _EXPANSIONS:
                self._expansions.popitem(last=False)
        return vector, expansion

    def _bridged(
        self,
        words: list[str],
        vectors: np.ndarray,
        translations: dict[str, list[str]],
        bridge: TermBridge | None = None,
    ) -> list[str]:
        """The bridge's archive words for the question's words: `bridge_terms` each, and
        `bridge_terms_translated` for a word the dictionary translates (untranslated words'
        first). One matrix product per distinct count: each reads the whole word matrix."""
        cfg = self.settings
        bridge = self.store.bridge() if bridge is None else bridge
        counts = (cfg.bridge_terms, cfg.bridge_terms_translated)  # by: is it translated?
        order = sorted(range(len(words)), key=lambda i: words[i] in translations)
        extra: list[str] = []
        for per_word in dict.fromkeys(counts):
            rows = [i for i in order if counts[words[i] in translations] == per_word]
            if rows and per_word:
                extra += bridge.expand_words(
                    [words[i] for i in rows], vectors[rows], cfg.bridge_threshold, per_word
                )
        return extra

    def _loaded_dictionary(self) -> Dictionary:
        with self._lock:
            if self._dictionary is None:
                path = find_dictionary(self.settings.dictionary)
                self._dictionary = Dictionary.load(path) if path else Dictionary({})
            return self._dictionary

    def _crossed_arabic(self, question: str) -> list[str]:
        """The Arabic content words of a question whose words the archive does not know
        (`known_share` below 0.5, as for `bm25_weight_cross`): the words the dictionary and
        names read in reverse, into the words of English sources. An Arabic question over an
        Arabic archive has none."""
        words = [w for w in dict.fromkeys(light_tokens(question)) if script_of(w) == "ar"]
        words = [w for w in words if content_word(w)]
        return words if words and self.store.lexical().known_share(question) < 0.5 else []

    def _name_candidates(
        self, question: str, forms: dict[str, str] | None = None, arabic: list[str] | None = None
    ) -> list[tuple[str, list[str]]]:
        """The question's Latin-script names (as written: `forms`, its surface_forms) with
        the Arabic archive words that sound alike (rag/index/names.py). A name is a
        capitalised word or one the dictionary does not list: common words rarely sound like
        anything, but when they do the match is a stranger ("between" → «باطن»). Over English
        sources (`_crossed_arabic`), an Arabic word the reverse dictionary does not translate
        into an archive word (one the bridge holds) is a name too, with the English archive
        words that sound alike."""
        if not self.settings.names:
            return []
        dictionary, lexical = self._loaded_dictionary(), self.store.lexical()
        forms = surface_forms(question) if forms is None else forms
        crossed = set(self._crossed_arabic(question) if arabic is None else arabic)
        in_bridge = self.store.bridge().index if crossed else {}
        found = []
        for word in dict.fromkeys(light_tokens(question)):
            if not content_word(word):
                continue
            if script_of(word) == "latin":
                shown = forms.get(word, word)
                if not shown[:1].isupper() and dictionary.lookup(word):
                    continue
                candidates = NameIndex.of(lexical, "ar").candidates(word)
            elif word in crossed:
                heads = dictionary.reverse_lookup(word, self.settings.dictionary_senses)
                if any(h in in_bridge for h in heads):
                    continue
                shown, candidates = word, NameIndex.of(lexical, "latin").candidates(word)
            else:
                continue
            if candidates:
                found.append((shown, candidates))
                if len(found) == _MAX_NAMES:
                    break
        return found

    def _translations(
        self, question: str, vectors_of: VectorsOf | None = None, arabic: list[str] | None = None
    ) -> dict[str, list[str]]:
        """The question's English words with their dictionary translations the archive
        knows (empty without a dictionary). With `vectors_of` (vectors by word), over English
        sources (`_crossed_arabic`), also its Arabic words with the `dictionary_senses`
        English words the reverse dictionary gives that are closest to them, among the
        archive's words with a vector (the bridge's: embedding the others too cost ~2.5 ms a
        question on XQuAD ar→en for no gain)."""
        dictionary = self._loaded_dictionary()
        if not len(dictionary):
            return {}
        lexical = self.store.lexical()
        words = [w for w in dict.fromkeys(light_tokens(question)) if content_word(w)]
        senses = self.settings.dictionary_senses
        found = translate_words(dictionary, words, lexical.knows, senses)
        if vectors_of is not None:
            arabic = self._crossed_arabic(question) if arabic is None else arabic
            heads = {w: dictionary.reverse_lookup(w, senses) for w in arabic}
            # No similarity floor: the dictionary vouches for them, the embedder only ranks
            # (floors of 0 to 0.3 measured the same on XQuAD ar→en).
            found.update(pick_closest(heads, vectors_of, 0.0, senses))
        return found

    def translation(self, question: str, deadline: float | None = None) -> Translation | None:
        """The question translated for the BM25 query, when there is a translator and the
        archive's words do not cover the question (None otherwise). Remembered per question,
        so asking again after `search` costs nothing."""
        if self.translator is None:
            return None
        question = check_question(question)
        language = target_language(question)
        lexical = self.store.lexical()
        if language is None or lexical.known_share(question) >= 0.5:
            return None
        # An archive with (almost) no words in the target's script has nothing for the
        # translation's words to match: an Arabic question with unknown names over the
        # Arabic sample corpus (one English word) is not worth an LLM call.
        with self._lock:
            if self._scripts is None or self._scripts[0] is not lexical:
                counts = Counter(script_of(w) for w in lexical.word_vocab.items)
                self._scripts = (lexical, counts)
            words = self._scripts[1]["ar" if language == "ar" else "latin"]
        if words < _MIN_SCRIPT_WORDS:
            return None
        return self.translator(question, language, deadline)

    def search(
        self,
        question: str,
        k: int | None = None,
        where: SearchFilters | None = None,
        *,
        deadline: float | None = None,
    ) -> list[Passage]:
        """The k best passages for the question, best first."""
        return self.search_translated(question, k, where, deadline=deadline)[0]

    def search_translated(
        self,
        question: str,
        k: int | None = None,
        where: SearchFilters | None = None,
        *,
        deadline: float | None = None,
    ) -> tuple[list[Passage], Translation | None]:
        """The k best passages, and the question's translation when one was asked for (its
        `error` says why it failed; the search went on without it). `deadline`
        (time.monotonic()) bounds the translation."""
        question = check_question(question)
        k = k or self.settings.k
        if k < 1:
            raise InputError("k must be at least 1")
        self.store.refresh()  # another process committed: read its state
        if self.store.is_empty():
            raise StoreError("the store is empty: run `rag ingest PATH` first")
        where = where or SearchFilters()
        since, until = where.bounds()
        n = max(self.settings.candidates, k)

        vector, expansion = self._expanded(question, question)
        assert vector is not None
        lexical = self.store.lexical()
        dense = self.store.dense_ids(vector, n, filters(since, until, where.sources))
        # The BM25 index covers exactly the committed chunks: a dense hit outside it is a
        # chunk of a document whose write has not committed (another process mid-ingest,
        # or one that died before the next run cleaned up).
        dense = [(i, s) for i, s in dense if lexical.has(i)]
        dense_ids = [i for i, _ in dense]
        # A question in another script than the archive reaches BM25 only through bridge
        # words, a noisier signal than the question's own words: it gets its own weight,
        # and the words of the top dense hits to translate it better (rag/index/feedback.py).
        crossed = bool(expansion.extra) and lexical.known_share(question) < 0.5
        extra = list(expansion.extra)
        cfg = self.settings
        if crossed and cfg.feedback and expansion.words:
            passages = lexical.chunk_words(dense_ids[: cfg.feedback_passages])
            limits = cfg.feedback_threshold, cfg.feedback_terms
            ex = expansion
            bridge = self.store.bridge()
            found = feedback_terms(bridge, ex.words, ex.vectors, passages, *limits)
            found = without_variants(bridge, found, extra, cfg.feedback_variant)
            # A word whose BM25 term the query already has would count twice and pull
            # towards passages that merely repeat the topic's commonest words.
            add_new(extra, [word for word, _ in found], question)
        translated = self.translation(question, deadline)
        if translated is not None and translated.text:
            # The whole question in the archive's language: its words find the phrase the
            # bridge's word-by-word guesses miss. Words already in the query stay single.
            add_new(extra, words_in_script(translated.text, translated.language), question)
        lexical_query = " ".join([question, *extra])
        bm25 = lexical.search(lexical_query, n, lexical.mask(since, until, where.sources))
        bm25_ids = [i for i, _ in bm25]

        dense_weight = cfg.dense_weight
        if crossed:
            bm25_weight = cfg.bm25_weight_cross
        elif detect_language(question) == "ar":
            bm25_weight = cfg.bm25_weight_ar
        else:
            bm25_weight = cfg.bm25_weight
        if cfg.fusion == "adaptive":
            dense_weight, bm25_weight = adaptive_weights(
                dense_ids,
                bm25_ids,
                dense_weight,
                bm25_weight,
                cfg.agreement_depth,
                cfg.agreement_floor,
            )
        fused = rrf([(dense_ids, dense_weight), (bm25_ids, bm25_weight)], cfg.rrf_k)
        ranked = sorted(fused, key=fused.__getitem__, reverse=True)
        if cfg.date_weight:
            ranked = with_dates(fused, ranked, lexical, question, cfg)
        if cfg.proximity_weight:
            figure = question_type(question) in ("date", "number")
            ranked = with_proximity(fused, ranked, lexical, lexical_query, cfg, asks_figure=figure)
        best, copies = ranked[:k], {}
        if cfg.collapse_duplicates:
            # Twice k candidates first; when copies take more places than that (a story
            # reprinted ten times), every candidate, so that k distinct passages come back.
            windows = [2 * k, len(ranked)] if len(ranked) > 2 * k else [len(ranked)]
            for window in windows:
                docs, terms = lexical.term_sets(ranked[:window])
                best, copies = collapse_duplicates(
                    ranked[:window], docs, terms, k, cfg.collapse_duplicates
                )
                if len(best) >= k:
                    break
        # Only the passages returned (and their copies' records) are read, in one call.
        listed = [c for i in best for c in copies.get(i, [])]
        chunks, vectors = self.store.chunks_with_vectors(best + listed)
        cosine = dict(dense)
        for chunk_id, vec in vectors.items():
            if chunk_id not in cosine:
                cosine[chunk_id] = float(np.dot(vec, vector))
        bm25_scores = dict(bm25)
        passages = [
            Passage(
                **chunks[i].model_dump(),
                score=fused[i],
                dense_score=cosine.get(i),
                bm25_score=bm25_scores.get(i),
                also=[source_ref(chunks[c]) for c in copies.get(i, []) if c in chunks],
            )
            for i in best
            if i in chunks
        ]
        return passages, translated


def source_ref(chunk: Chunk) -> SourceRef:
    return SourceRef(**chunk.model_dump(include=set(SourceRef.model_fields)))
