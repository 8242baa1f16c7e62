"""Write ``tests/fixtures/sentences.opus`` and ``sentences.json``: 12 spoken sentences, known pauses.

    python benchmarks/make_speech_fixture.py [--out tests/fixtures]

espeak-ng speaks each of the 12 sentences of ``_audio.SENTENCES`` (four voices in turn,
150 words a minute); each is resampled to 16 kHz, trimmed to where its sound starts and
ends (the first and last sample above 1% of its peak) and scaled to a 0.7 peak. They are
laid end to end with the pauses of ``PAUSES_S`` between them (and 0.8 s of silence before
the first and after the last), and written as mono 16 kHz Ogg Opus. The JSON beside it
holds each sentence's text and its true start and end in seconds. Clean speech: the tests
add the noise themselves. Needs espeak-ng (the tests do not: they read the committed files).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _audio import SENTENCES, trimmed_utterances
from _common import arg_parser

RATE = 16_000
EDGE_S = 0.8
PAUSES_S = (1.0, 0.8, 1.2, 0.7, 1.5, 0.9, 1.1, 0.75, 1.3, 0.85, 1.0)
"""The silence between sentence i and i + 1."""
OPUS_COMPRESSION = 0.95
"""libsndfile's compression level for Opus (0 best .. 1 smallest): about 16 kbps on this speech."""


def main() -> None:
    parser = arg_parser(__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "tests/fixtures")
    args = parser.parse_args()
    utterances = trimmed_utterances(RATE)
    pieces = [np.zeros(int(EDGE_S * RATE), dtype=np.float32)]
    sentences = []
    at = len(pieces[0])
    for i, (text, speech) in enumerate(zip(SENTENCES, utterances, strict=True)):
        sentences.append(
            {"start_s": round(at / RATE, 4), "end_s": round((at + len(speech)) / RATE, 4), "text": text}
        )
        pieces.append(speech)
        at += len(speech)
        gap = int((PAUSES_S[i] if i < len(PAUSES_S) else EDGE_S) * RATE)
        pieces.append(np.zeros(gap, dtype=np.float32))
        at += gap
    audio = np.concatenate(pieces)
    opus = args.out / "sentences.opus"
    with sf.SoundFile(
        opus, "w", RATE, 1, format="OGG", subtype="OPUS", compression_level=OPUS_COMPRESSION
    ) as out:
        out.write(audio)
    meta = {"sample_rate_hz": RATE, "duration_s": round(len(audio) / RATE, 4), "sentences": sentences}
    (args.out / "sentences.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"{opus}: {opus.stat().st_size:,} bytes, {len(audio) / RATE:.2f} s, {len(sentences)} sentences")


if __name__ == "__main__":
    main()
