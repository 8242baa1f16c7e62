"""Text too long for one speech request, cut at sentence boundaries into balanced pieces.

MiMo's own TTS skill splits only past 2,500 characters (``SpeechSpec.max_input_chars``).
:func:`split_text` cuts where a reader would pause: after a sentence (``. ! ? …`` and their
CJK full-width forms, then a closing quote or bracket), else after a clause (``, ; :`` and
their full-width forms, the ideographic comma), else between words;
only a run with none of these (one 3,000-character "word") is cut mid-run. The pieces are
balanced (as few as the limit allows, of similar lengths, not a full one and a scrap),
and a leading style tag such as ``(whispering)``, which MiMo applies to the whole text,
starts every piece.

A regex, not a sentence segmenter (pysbd, NLTK's punkt): those know abbreviations ("Dr.
Smith") but not MiMo's audio tags or full-width CJK marks, and would be a dependency for a
cut whose worst case here is a pause after "Dr." at one of the rare seams.
"""

from __future__ import annotations

import math
import re

__all__ = ["leading_style", "split_text"]

# Full-width forms are spelled as escapes: \u3002 \uff01 \uff1f (ideographic full stop, full-width
# ! and ?), \uff0c \uff1b \uff1a \u3001 (full-width , ; : and the ideographic comma), \uff08 \uff09
# (full-width parentheses), \u201d \u2019 \u300d \u300f (closing quotes and corner brackets).
_SENTENCE_END = re.compile(
    "(?:[.!?\u3002\uff01\uff1f\u2026]+|\n\\s*\n)[\"'\u201d\u2019\u300d\u300f)\\]]*\\s*"
)
_CLAUSE_END = re.compile("[,;:\uff0c\uff1b\uff1a\u3001]+\\s*|\n")
_SPACE = re.compile(r"\s+")
_STYLE = re.compile("^\\s*([(\uff08\\[][^()\uff08\uff09\\[\\]\n]{1,40}[)\uff09\\]])\\s*")
"""A tag at the very start (``(sad)``, ``[whispering]``, in ASCII or full-width brackets) that
sets the style of the whole text."""


def leading_style(text: str) -> tuple[str, str]:
    """``(tag, rest)``: a leading style tag MiMo applies to the whole text, and what follows."""
    match = _STYLE.match(text)
    if match is None:
        return "", text
    return match.group(1), text[match.end() :]


def _units(text: str, pattern: re.Pattern[str]) -> list[str]:
    """``text`` cut after each match of ``pattern`` (the separators stay with the piece before)."""
    units, start = [], 0
    for match in pattern.finditer(text):
        if match.end() > start:
            units.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        units.append(text[start:])
    return units


def _atoms(text: str, limit: int) -> list[str]:
    """Sentences, and the parts of a sentence longer than ``limit`` (clauses, words, then cuts)."""
    atoms: list[str] = []
    for sentence in _units(text, _SENTENCE_END):
        if len(sentence) <= limit:
            atoms.append(sentence)
            continue
        for clause in _units(sentence, _CLAUSE_END):
            if len(clause) <= limit:
                atoms.append(clause)
                continue
            for word in _units(clause, _SPACE):
                atoms.extend(word[i : i + limit] for i in range(0, len(word), limit))
    return atoms


def _pack(atoms: list[str], limit: int, target: float) -> list[str]:
    """Greedy packing: a piece closes once it reaches ``target`` or the next atom would pass ``limit``."""
    pieces: list[str] = []
    current = ""
    for atom in atoms:
        if current and (len(current) + len(atom) > limit or len(current) >= target):
            pieces.append(current)
            current = ""
        current += atom
    if current:
        pieces.append(current)
    return pieces


def split_text(text: str, max_chars: int) -> list[str]:
    """``text`` in pieces of at most ``max_chars`` characters, cut where a reader pauses.

    Joined back, the pieces are the text (less the whitespace at each cut, and with a
    leading style tag repeated at the start of each piece). Short text is one piece.
    """
    text = text.strip()
    if len(text) <= max_chars:
        return [text]
    style, body = leading_style(text)
    prefix = f"{style} " if style else ""
    limit = max(max_chars - len(prefix), 1)
    atoms = _atoms(body, limit)
    count = math.ceil(len(body) / limit)
    while True:  # the fewest pieces whose balanced target still packs under the limit
        pieces = _pack(atoms, limit, len(body) / count)
        if len(pieces) <= count or count >= len(atoms):
            break
        count += 1
    return [prefix + piece.strip() for piece in pieces if piece.strip()]
