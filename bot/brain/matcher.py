"""Match a member's question to a knowledge entry: answer, clarify ("did you mean") or fall back.

The design follows what was measured on public intent data (README, "How matching works"):

1. normalise the text (Slack markup, Unicode, case, punctuation) and expand synonyms (`b5` -> `band 5`);
2. mend typos word by word against the knowledge base's own vocabulary with rapidfuzz;
3. score every entry at once with two IDF-weighted TF-IDF spaces (word uni+bigrams, character 3-5-grams),
   each both against the entry's closest phrasing and against the entry's centroid (whole-entry scoring);
4. re-score the shortlist with rapidfuzz's token_sort_ratio (typo-tolerant edit distance), and fuse;
5. decide with fixed thresholds and a margin: confident -> answer, close -> clarify, otherwise fallback.

Deterministic, no network, no model files; the index is built once at start-up in milliseconds.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, repeat
from typing import Final, Literal

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.brain.nations import NationCues
from bot.brain.text import SynonymMap, normalise

MatchOutcome = Literal["answer", "clarify", "fallback"]
ANSWER: Final = "answer"
CLARIFY: Final = "clarify"
FALLBACK: Final = "fallback"
# The questions of knowledge/examples/ labelled "fallback" are matched as one decline of this id, which is not an
# entry (entry ids have no spaces): a question most like them gets the plain "I don't know that one" reply.
OUT_OF_SCOPE: Final = "(out of scope)"
# Left out of the phrasing scores (see _Space.query): a feature stored more than _POSTINGS_CAP times, and in the
# character space one stored more than _POSTINGS_COMMON times while in at least half of the entries.
_POSTINGS_CAP = 4000
_POSTINGS_COMMON = 1500


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds on the fused score (0-1).

    Chosen on one half of the labelled questions and checked on the other (README, "How matching works"),
    never to suit a single question.
    """

    answer: float = 0.30  # at or above (with the margin): answer
    margin: float = 0.07  # the best entry must lead the next by this share of its own score
    sure: float = 0.60  # at or above this, answer whatever the margin
    # "did you mean" only for real ambiguity: a best entry that is strong enough but does not lead clearly.
    # Below this, the bot says it does not know rather than offering weak guesses.
    clarify: float = 0.32  # at or above (and short of answering): "did you mean"; below: fallback
    length_relief: float = 0.20  # long questions score lower; thresholds ease by up to this share
    decline: float = 0.24  # a decline entry (e.g. clinical advice) recognised at or above this
    # The out-of-scope examples must lead the best answer by this share of their score to stop it: a career
    # question with one odd word ("band 4 pay in the army") is not out of scope because an example says so.
    out_of_scope_lead: float = 0.05

    def ease(self, n_tokens: int) -> float:
        """The factor (<= 1) applied to `answer` and `clarify` for a question of n_tokens words."""
        return 1.0 - self.length_relief * min(1.0, max(0, n_tokens - 5) / 20)


@dataclass(frozen=True)
class Weights:
    """How much each signal counts in the fused score; they add up to 1."""

    word_max: float = 0.22
    word_centroid: float = 0.26
    char_max: float = 0.04
    char_centroid: float = 0.18
    coverage: float = 0.15
    fuzzy: float = 0.15


@dataclass(frozen=True)
class Item:
    """What the matcher needs of an entry: its id, its phrasings, and whether it is a decline."""

    id: str
    phrasings: tuple[str, ...]
    decline: bool = False
    shortcuts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    entry_id: str
    score: int  # 0-100


@dataclass(frozen=True)
class Match:
    outcome: MatchOutcome
    entry_id: str | None  # the answered entry (None for clarify and fallback)
    score: int  # 0-100, the best entry's fused score
    candidates: tuple[Candidate, ...]  # best first; for clarify, the entries offered
    declined: str | None = None  # the decline entry recognised (e.g. clinical-advice), if any
    query: str = ""  # the question as matched (normalised, synonyms expanded, typos mended)
    nations: tuple[str, ...] = ()  # the nations the question names or implies ("in scotland", "belfast")

    def as_json(self) -> dict:
        return {
            "outcome": self.outcome,
            "entry": self.entry_id,
            "score": self.score,
            "candidates": [{"entry": c.entry_id, "score": c.score} for c in self.candidates],
        }


def stem(word: str) -> str:
    """A light English stemmer: enough to make 'apprenticeships' meet 'apprenticeship'."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed") and not word.endswith("eed"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=65536)
def _stem_cached(word: str) -> str:
    return stem(word)


@lru_cache(maxsize=65536)
def _token_ngrams(tok: str) -> tuple[str, ...]:
    padded = f" {tok} "
    return tuple(padded[i : i + n] for n in (3, 4, 5) for i in range(len(padded) - n + 1))


def word_features(tokens: Sequence[str]) -> Counter:
    """Stemmed words and word pairs."""
    stems = list(map(_stem_cached, tokens))
    return Counter(chain(stems, map(_pair, stems, stems[1:])))


def _pair(a: str, b: str) -> str:
    return f"{a} {b}"


def char_features(tokens: Sequence[str]) -> Counter:
    """Character 3-, 4- and 5-grams of each word, padded with a space at both ends."""
    return Counter(chain.from_iterable(map(_token_ngrams, tokens)))


class _Space:
    """One TF-IDF space: phrasings as rows, features as columns, stored column-wise for fast scoring.

    Built with numpy from flat arrays (no per-feature Python objects kept), so 10,000 entries index in
    seconds and in a few hundred bytes per phrasing.
    """

    def __init__(self, docs: Iterable[Counter], owner: np.ndarray, n_entries: int, *, skip_common: bool = False):
        vocab: defaultdict[str, int] = defaultdict()
        vocab.default_factory = vocab.__len__  # an unseen feature gets the next column number
        col_ids = array("i")  # each document's features as column numbers at once: no feature strings kept
        doc_counts = array("f")  # counts are small whole numbers: exact in float32
        lengths = array("q")
        for doc in docs:
            lengths.append(len(doc))
            col_ids.extend(map(vocab.__getitem__, doc))
            doc_counts.extend(doc.values())
        self.vocab: dict[str, int] = dict(vocab)
        n_feats = max(len(vocab), 1)
        self.n_docs = len(lengths)
        self.n_entries = n_entries
        # int32 rows and columns, and every temporary dropped as soon as it is used: the peak memory of a build
        # is a handful of arrays as long as all the stored values, and this keeps it small
        rows = np.repeat(np.arange(self.n_docs, dtype=np.int32), np.frombuffer(lengths, dtype=np.int64))
        cols = np.array(col_ids, dtype=np.int32)
        del col_ids

        # one sort of (entry, feature) pairs gives both the document frequency and the centroids
        key_type = np.int32 if n_entries * n_feats < 2**31 else np.int64
        keys: np.ndarray = owner.astype(key_type)[rows] if len(rows) else np.zeros(0, dtype=key_type)
        keys = keys * n_feats + cols
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        first = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else order[:0]
        pairs = keys[first]
        del keys

        # Document frequency counts entries, not phrasings: a feature shared by many entries tells them apart
        # poorly, however many phrasings of one entry repeat it.
        df = np.bincount(pairs % n_feats, minlength=n_feats).astype(np.float64)
        n = max(n_entries, 1)
        self.common = (df >= n / 2) if skip_common else np.zeros(n_feats, dtype=bool)  # see query
        self.idf = np.log((1 + n) / (1 + df)) + 1.0
        self.unknown_idf = math.log(1 + n) + 1.0

        counts = np.frombuffer(doc_counts, dtype=np.float32) if len(doc_counts) else np.zeros(0, dtype=np.float32)
        weights = counts.astype(np.float64)  # 1 + log(count), times the IDF, in place
        del counts, doc_counts
        np.log(weights, out=weights)
        weights += 1.0
        weights *= self.idf[cols]
        norms = np.sqrt(np.bincount(rows, weights=weights * weights, minlength=self.n_docs))
        weights /= np.where(norms > 0, norms, 1.0)[rows]
        doc_part = self._csc(rows, cols, weights, n_feats)
        del rows, cols

        # entry centroids: the sum of an entry's normalised phrasing vectors, normalised again
        summed = np.add.reduceat(weights[order], first) if len(first) else np.zeros(0)
        del weights, order
        cent_rows, cent_cols = pairs // n_feats, pairs % n_feats
        cnorm = np.sqrt(np.bincount(cent_rows, weights=summed * summed, minlength=n_entries))
        summed /= np.where(cnorm > 0, cnorm, 1.0)[cent_rows]
        cent_part = self._csc(cent_rows, cent_cols, summed, n_feats)
        self._store_columns(doc_part, cent_part, n_feats)

    @staticmethod
    def _csc(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_feats: int):
        order = np.argsort(cols, kind="stable")
        indptr = np.zeros(n_feats + 1, dtype=np.int64)
        np.cumsum(np.bincount(cols, minlength=n_feats), out=indptr[1:])
        return indptr, rows[order].astype(np.int32), vals[order].astype(np.float32)

    def _store_columns(self, doc_part, cent_part, n_feats: int) -> None:
        """Both matrices in one column-wise store: each feature's phrasing values, then its centroid values (their
        rows numbered after the phrasings'), so one gather scores the question against both."""
        doc_ptr, doc_rows, doc_vals = doc_part
        cent_ptr, cent_rows, cent_vals = cent_part
        self.doc_len = np.diff(doc_ptr)
        self.cent_len = np.diff(cent_ptr)
        self.indptr = doc_ptr + cent_ptr  # where each feature's values start
        # Each part is already in feature order, so each value's place in the one store is known without a sort:
        # a phrasing value at position i of feature f goes after the centroid values of the features before f
        # (i + cent_ptr[f]), a centroid value at k after the phrasing values of f and those before (k + doc_ptr[f+1]).
        n_doc, n_cent = len(doc_rows), len(cent_rows)
        self.all_rows = np.empty(n_doc + n_cent, dtype=np.int32)
        self.all_vals = np.empty(n_doc + n_cent, dtype=np.float32)
        place = np.arange(n_doc, dtype=np.int64) + np.repeat(cent_ptr[:-1], self.doc_len)
        self.all_rows[place], self.all_vals[place] = doc_rows, doc_vals
        place = np.arange(n_cent, dtype=np.int64) + np.repeat(doc_ptr[1:], self.cent_len)
        self.all_rows[place], self.all_vals[place] = cent_rows + np.int32(self.n_docs), cent_vals

    def query(self, feats: Counter) -> tuple[np.ndarray, np.ndarray]:
        """Cosine similarity of the question with every phrasing and with every entry centroid."""
        n = len(feats)
        cols = np.fromiter(map(self.vocab.get, feats, repeat(-1)), dtype=np.int64, count=n)
        tf = 1.0 + np.log(np.fromiter(feats.values(), dtype=np.float64, count=n))
        known = cols >= 0
        # a word the knowledge base never uses still counts in the question's length, at the highest IDF
        weights = tf * np.where(known, self.idf[np.where(known, cols, 0)], self.unknown_idf)
        norm = math.sqrt(float(weights @ weights)) if n else 0.0
        if not known.any() or norm == 0.0:
            return np.zeros(self.n_docs), np.zeros(self.n_entries)
        cols, weights = cols[known], weights[known] / norm
        starts, doc_len, cent_len = self.indptr[cols], self.doc_len[cols], self.cent_len[cols]
        n_docs = self.n_docs
        # A character n-gram stored for many phrasings and in most entries (' th', 'the', 'ban') has an IDF near
        # the floor and barely moves a score; leaving it out of the phrasing scores (never the centroids, which
        # hold one value per entry) keeps a question fast as the examples grow. It still counts in the
        # question's length.
        # Beyond _POSTINGS_CAP values (a very large knowledge base), any feature is left out the same way, and
        # of the centroids too (only with more than _POSTINGS_CAP entries): it keeps a question fast at 10,000.
        skip = (doc_len > _POSTINGS_CAP) | ((doc_len > _POSTINGS_COMMON) & self.common[cols])
        cent_skip = cent_len > _POSTINGS_CAP
        if not skip.any() and not cent_skip.any():
            # the usual case: both products in one gather (each score adds the same terms in the same order)
            both = self._gather(starts, doc_len + cent_len, weights, n_docs + self.n_entries)
            return both[:n_docs], both[n_docs:]
        keep, cent_keep = ~skip, ~cent_skip
        cent_starts = starts + doc_len
        return (
            self._gather(starts[keep], doc_len[keep], weights[keep], n_docs),
            self._gather(cent_starts[cent_keep], cent_len[cent_keep], weights[cent_keep], n_docs + self.n_entries)[
                n_docs:
            ],
        )

    def _gather(self, starts: np.ndarray, lengths: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
        """Sparse (question) x sparse (columns) product over the stored values at `starts` (`lengths` of each
        column), gathered in one vectorised step; scores for rows 0 .. size-1."""
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(size)
        # positions of every stored value of every known column, without a Python loop over columns
        offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
        return np.bincount(
            self.all_rows[offsets], weights=self.all_vals[offsets] * np.repeat(weights, lengths), minlength=size
        )


class Matcher:
    """Built once from the knowledge base; `match(question)` is pure and thread-safe."""

    SHORTLIST = 8
    FUZZY_ROWS = 32  # see scores

    def __init__(
        self,
        items: Iterable[Item],
        synonyms: Mapping[str, Iterable[str]] | None = None,
        *,
        thresholds: Thresholds | None = None,
        weights: Weights | None = None,
        cues: NationCues | None = None,
    ):
        self.items = tuple(items)
        self.cues = cues or NationCues()
        self.thresholds = thresholds or Thresholds()
        self.weights = weights or Weights()
        self.synonyms = SynonymMap(synonyms or {})
        self.ids = [it.id for it in self.items]
        self._decline = np.array([it.decline for it in self.items], dtype=bool)
        self._shortcuts = {s: it.id for it in self.items for s in it.shortcuts}

        texts: list[list[str]] = []
        owner: list[int] = []
        for e, it in enumerate(self.items):
            for phrase in it.phrasings:
                tokens = self.synonyms.expand_tokens(self._without_nation(normalise(phrase).split())[1])
                if tokens:
                    texts.append(tokens)
                    owner.append(e)
        self._owner = np.asarray(owner, dtype=np.int64)
        self._texts = [" ".join(sorted(t)) for t in texts]  # token-sorted once: token_sort_ratio == ratio
        # phrasings are built entry by entry, so each entry's rows are one contiguous run
        counts = np.bincount(self._owner, minlength=len(self.items)).astype(np.int64)
        self._ends = np.cumsum(counts)
        self._starts = self._ends - counts
        self._has_rows = counts > 0
        self._vocab_set = {tok for t in texts for tok in t}
        self._by_initial: dict[str, list[str]] = {}
        for word in sorted(self._vocab_set):
            if len(word) >= 4 and word.isalpha():
                self._by_initial.setdefault(word[0], []).append(word)
        self._build_coverage(texts)
        self.words = _Space((word_features(t) for t in texts), self._owner, len(self.items))
        self.chars = _Space((char_features(t) for t in texts), self._owner, len(self.items), skip_common=True)

    def _build_coverage(self, texts: list[list[str]]) -> None:
        """Which entries use each word stem, and how rare the stem is across entries (for `coverage`)."""
        owners: dict[str, set[int]] = {}
        for tokens, e in zip(texts, self._owner, strict=True):
            for tok in tokens:
                owners.setdefault(_stem_cached(tok), set()).add(int(e))
        n = len(self.items)
        self._cov_entries = {t: np.fromiter(sorted(es), dtype=np.int64) for t, es in owners.items()}
        self._cov_idf = {t: max(0.0, math.log((n + 1) / (len(es) + 0.5))) for t, es in owners.items()}
        self._cov_unknown = math.log((n + 1) / 0.5)

    def coverage(self, tokens: list[str]) -> np.ndarray:
        """Per entry: the share of the question's information (IDF-weighted stems) that the entry's phrasings use.

        Unlike a cosine, this does not punish a long, rambling question for its length, and it drops sharply
        when the question's rarest words (a 'pilot', a 'paramedic') appear nowhere in the entry.
        """
        n = len(self.items)
        hits = np.zeros(n)
        total = 0.0
        for tok in {_stem_cached(t) for t in tokens}:
            entries = self._cov_entries.get(tok)
            if entries is None:
                total += self._cov_unknown
                continue
            w = self._cov_idf[tok]
            total += w
            hits[entries] += w
        return hits / total if total > 0 else hits

    # --- text preparation -------------------------------------------------------------------------------
    def _without_nation(self, tokens: list[str]) -> tuple[tuple[str, ...], list[str]]:
        """The nations named, and the words without them: "band 3 pay in scotland" matches like "band 3 pay in".

        A question that is nothing but a nation's name keeps its words.
        """
        if not self.cues.cues:
            return (), tokens
        nations, rest = self.cues.find(tokens)
        return nations, (rest if rest else tokens)

    def prepare(self, question: str) -> list[str]:
        """Normalise, set aside nation names, expand synonyms, mend typos against the vocabulary, expand again."""
        return self._prepare(question)[1]

    def unmended(self, question: str) -> list[str]:
        """The question's words after normalising, nation words and synonyms, before typo mending (guards read
        these too: mending can turn a word the knowledge base never uses, such as 'equine', into one it does)."""
        return self.synonyms.expand_tokens(self._without_nation(normalise(question).split())[1])

    def _prepare(self, question: str) -> tuple[tuple[str, ...], list[str]]:
        nations, words = self._without_nation(normalise(question).split())
        return nations, self._mend_all(self.synonyms.expand_tokens(words))

    def _mend_all(self, tokens: list[str]) -> list[str]:
        mended = []
        changed = False
        for tok in tokens:
            fix = self._mend(tok)
            changed |= fix != tok
            mended.append(fix)
        return self.synonyms.expand_tokens(mended) if changed else mended

    def _mend(self, tok: str) -> str:
        """The vocabulary word a typo most likely meant, or the token unchanged.

        Conservative on purpose: one edit (a transposition counts as one) for words of 5 to 7 letters, two for
        longer ones, and the first letter must match, so real words the knowledge base does not use
        ('range', 'motion', 'pilot') are left alone rather than turned into ones it does.
        """
        if tok in self._vocab_set or len(tok) < 5 or not tok.isalpha():
            return tok
        limit = 1 if len(tok) <= 7 else 2
        candidates = self._by_initial.get(tok[0], ())
        best = process.extractOne(tok, candidates, scorer=OSA.distance, score_cutoff=limit)
        return best[0] if best is not None else tok

    # --- scoring ----------------------------------------------------------------------------------------
    def _per_entry_max(self, per_row: np.ndarray) -> np.ndarray:
        if per_row.size == 0:
            return np.zeros(len(self.items))
        out = np.maximum.reduceat(per_row, np.minimum(self._starts, per_row.size - 1))
        return np.where(self._has_rows, out, 0.0)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """The fused score (0-1) of every entry for a prepared question."""
        n = len(self.items)
        if not tokens or n == 0:
            return np.zeros(n)
        w = self.weights
        word_rows, word_cent = self.words.query(word_features(tokens))
        char_rows, char_cent = self.chars.query(char_features(tokens))
        fused = (
            w.word_max * self._per_entry_max(word_rows)
            + w.word_centroid * word_cent
            + w.char_max * self._per_entry_max(char_rows)
            + w.char_centroid * char_cent
            + w.coverage * self.coverage(tokens)
        )
        if w.fuzzy <= 0:
            return fused
        # typo-tolerant edit distance, only for the shortlist (it costs a comparison per phrasing)
        k = min(self.SHORTLIST, n)
        shortlist = np.argpartition(-fused, k - 1)[:k] if n > k else np.arange(n)
        query = " ".join(sorted(tokens))
        for e in shortlist:
            if self._has_rows[e]:
                start, end = int(self._starts[e]), int(self._ends[e])
                if end - start > self.FUZZY_ROWS:
                    # an entry with many phrasings (its examples): the edit distance to those most like the
                    # question in words and characters, where its best match all but always is
                    near = word_rows[start:end] + char_rows[start:end]
                    rows = np.argpartition(-near, self.FUZZY_ROWS - 1)[: self.FUZZY_ROWS] + start
                    phrasings = [self._texts[int(r)] for r in rows]
                else:
                    phrasings = self._texts[start:end]
                best = process.extractOne(query, phrasings, scorer=fuzz.ratio)
                fused[e] += w.fuzzy * (best[1] / 100.0)
        return fused

    @staticmethod
    def _top(s: np.ndarray, k: int) -> np.ndarray:
        """Indices of the k best scores, best first (ties: lower index first), without sorting them all."""
        if len(s) > k:
            part = np.argpartition(-s, k - 1)[:k]
            return part[np.lexsort((part, -s[part]))]
        return np.lexsort((np.arange(len(s)), -s))

    # --- decision ---------------------------------------------------------------------------------------
    def match(self, question: str) -> Match:
        words = normalise(question).split()
        if 0 < len(words) <= 2 and "".join(words) in self._shortcuts:
            entry_id = self._shortcuts["".join(words)]
            return Match(ANSWER, entry_id, 100, (Candidate(entry_id, 100),), None, " ".join(words))
        # a shortcut followed by a nation ("band5 wales")
        nations, rest = self._without_nation(words)
        if nations and 0 < len(rest) <= 2 and "".join(rest) in self._shortcuts:
            entry_id = self._shortcuts["".join(rest)]
            return Match(ANSWER, entry_id, 100, (Candidate(entry_id, 100),), None, " ".join(rest), nations)
        tokens = self._mend_all(self.synonyms.expand_tokens(rest))  # what _prepare(question) gives, from `rest`
        query = " ".join(tokens)
        s = self.scores(tokens)
        if not len(s) or not tokens:
            return Match(FALLBACK, None, 0, (), None, query, nations)
        order = self._top(s, 8)
        t = self.thresholds
        best = int(order[0])
        top = float(s[best])
        score = _pct(top)
        if self.ids[best] == OUT_OF_SCOPE:
            others = order[1:]
            if len(others) and s[others[0]] > top * (1 - t.out_of_scope_lead):
                # the examples do not lead clearly: decide as if they were not there
                order = others
                best = int(order[0])
                top = float(s[best])
                score = _pct(top)
            else:
                # out of scope; the decline entry that says who can help, if one is recognised
                named = [i for i in order if self._decline[i] and self.ids[i] != OUT_OF_SCOPE and s[i] >= t.decline]
                declined = self.ids[int(named[0])] if named else None
                return Match(FALLBACK, None, score, self._candidates(s, order, t.clarify), declined, query, nations)
        answers = order[~self._decline[order]]
        if self._decline[best]:
            declined = self.ids[best] if top >= t.decline else None
            return Match(FALLBACK, None, score, self._candidates(s, order, t.clarify), declined, query, nations)
        runner_up = float(s[answers[1]]) if len(answers) > 1 else 0.0
        candidates = self._candidates(s, order, t.clarify * t.ease(len(tokens)))
        ease = t.ease(len(tokens))
        if top >= t.sure or (top >= t.answer * ease and top - runner_up >= t.margin * top):
            return Match(ANSWER, self.ids[best], score, candidates, None, query, nations)
        if top >= t.clarify * ease:
            close = tuple(c for c in candidates if c.score >= _pct(top * 0.75))[:3]
            return Match(CLARIFY, None, score, close, None, query, nations)
        return Match(FALLBACK, None, score, (), None, query, nations)

    def _candidates(self, s: np.ndarray, order: np.ndarray, floor: float) -> tuple[Candidate, ...]:
        out = []
        for i in order[:6]:
            if self._decline[i] or s[i] < floor:
                continue
            out.append(Candidate(self.ids[int(i)], _pct(float(s[i]))))
        return tuple(out[:3])


def _pct(x: float) -> int:
    return int(round(max(0.0, min(1.0, x)) * 100))


def build_matcher(kb, **kwargs) -> Matcher:
    """A matcher over a loaded KnowledgeBase: each entry's phrasings and its example questions; the examples
    labelled "fallback" as one more decline (OUT_OF_SCOPE)."""
    examples: dict[str, list[str]] = {}
    for ex in kb.examples:
        examples.setdefault(ex.expect, []).append(ex.q)
    items = [Item(e.id, (*e.phrasings, *examples.get(e.id, ())), e.kind == "decline", e.shortcuts) for e in kb.entries]
    if examples.get("fallback"):
        items.append(Item(OUT_OF_SCOPE, tuple(examples["fallback"]), True))
    kwargs.setdefault("cues", kb.nation_cues)
    return Matcher(items, kb.synonyms, **kwargs)
