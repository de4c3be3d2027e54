"""Vietnamese text rules: normalization, slugs, search folding and collation.

Kept free of I/O so every stage (and the future search index) shares one
definition of what "the same word" means.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from functools import cache, lru_cache
from importlib import import_module

from slugify import slugify as _slugify

SLUG_MAX_LENGTH = 80

_TONE_MARKS = {
    "\u0300": 1,  # huyền
    "\u0309": 2,  # hỏi
    "\u0303": 3,  # ngã
    "\u0301": 4,  # sắc
    "\u0323": 5,  # nặng
}
# Letters that are letters of their own in the Vietnamese alphabet, in order.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET)}
_VOWEL_MODIFIERS = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}


def nfc(text: str) -> str:
    """NFC-normalize text (editors paste NFD text from macOS and Word)."""
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=65536)
def slugify(text: str, max_length: int = SLUG_MAX_LENGTH) -> str:
    """ASCII slug of a title: lower case, hyphens, ``đ`` → ``d``, never a path.

    Cached: tags and categories repeat on thousands of articles, and python-slugify
    costs about 0.1 ms a call.
    """
    text = nfc(text).replace("đ", "d").replace("Đ", "D")
    return _slugify(text, max_length=max_length, word_boundary=True, save_order=True, **_transliteration())


@cache
def _transliteration() -> dict[str, str]:
    """The backend python-slugify's ``auto`` would pick, named once.

    python-slugify 9 resolves ``auto`` on every call, and the failed import of the optional
    Unidecode costs about 0.1 ms per title; naming the module it falls back to gives the same
    slugs. Older versions import their backend once and take no ``backend`` option.
    """
    if "backend" not in inspect.signature(_slugify).parameters:
        return {}
    try:
        import_module("unidecode")
    except ModuleNotFoundError as error:
        if error.name != "unidecode":
            raise
        return {"backend": "text-unidecode"}
    return {"backend": "unidecode"}


def fold(text: str) -> str:
    """Fold for search and matching: no tones or marks, ``đ`` ≡ ``d``, lower case."""
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d").replace("Đ", "D").casefold()


def _letters_and_tones(word: str) -> tuple[list[int], list[int]]:
    ranks: list[int] = []
    tones: list[int] = []
    for ch in unicodedata.normalize("NFD", word.casefold()):
        if ch in _TONE_MARKS:
            tones.append(_TONE_MARKS[ch])
        elif unicodedata.combining(ch):
            if ranks:
                base = _ALPHABET[ranks[-1]] if ranks[-1] < len(_ALPHABET) else ""
                merged = _VOWEL_MODIFIERS.get((base, ch))
                if merged:
                    ranks[-1] = _LETTER_RANK[merged]
        else:
            ranks.append(_LETTER_RANK.get(ch, len(_ALPHABET) + ord(ch)))
    return ranks, tones


def sort_key(text: str) -> tuple:
    """Collation key close to ICU's ``vi``: letters, then tones, then case."""
    text = nfc(text)
    ranks, tones = _letters_and_tones(text)
    case = [0 if ch.islower() else 1 for ch in text if ch.isalpha()]
    return (ranks, tones, case, text)


_WORDS = re.compile(r"\w+", re.UNICODE)


def words(text: str) -> list[str]:
    """Split text into words (used by summaries and search)."""
    return _WORDS.findall(text)


def distinct_words(text: str) -> set[str]:
    """``set(words(text))``, a third faster on an article's body.

    A ``\\w+`` word holds no white space, and a token of letters and digits only (``isalnum``: what ``\\w``
    matches, but ``_``) is one word whole; only the others, a word with its punctuation mostly, go through
    the pattern, once per distinct token.
    """
    found: set[str] = set()
    for token in set(text.split()):
        if token.isalnum():
            found.add(token)
        else:
            found.update(_WORDS.findall(token))
    return found


def squash_spaces(text: str) -> str:
    """``" ".join(text.split())``, but without a string per word when there is nothing to squash.

    Every white-space character but the plain space is unprintable, so a printable text without
    two spaces in a row only needs its ends stripped (twice as fast on a long paragraph).
    """
    if "  " not in text and text.isprintable():
        return text.strip()
    return " ".join(text.split())


def truncate(text: str, limit: int) -> str:
    """Cut text at a word boundary and add an ellipsis when it is too long."""
    text = squash_spaces(text)
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.-–")
    return cut + "…"
