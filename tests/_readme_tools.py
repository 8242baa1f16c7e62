"""The README's "Using MiMo from other tools" section, for the tests that run it.

Its snippets are split between ``tests/test_readme_tools.py`` (the openai SDK and the proxy,
in every venv) and ``tests/clients/test_client_readme.py`` (LangChain, LiteLLM and llm, in
the clients venv); together they must cover every one.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from _audio import encode_tone
from _readme import README, python_blocks

SECTION = "Using MiMo from other tools"
PROXY_DOC_URL = "http://127.0.0.1:8766/v1"
FIXTURES = Path(__file__).parent / "fixtures"

CORE_SNIPPETS = (
    "# openai SDK: existing code, unchanged but for http_client=",
    "# Any OpenAI client, pointed at the proxy (it holds the key)",
    "# openai SDK text to speech: existing code, unchanged but for http_client=",
)
CLIENT_SNIPPETS = (
    "# langchain-openai: ChatOpenAI(http_client=..., http_async_client=...)",
    "# LiteLLM: client=OpenAI(http_client=mimo_http_client()), on its xiaomi_mimo/ or openai/ routes",
)


def snippets() -> dict[str, str]:
    """The section's python blocks, by their first line."""
    return {block.splitlines()[0]: block for block in python_blocks(SECTION)}


def bash_lines() -> list[str]:
    """The commands of the section's bash blocks (comments dropped), in order."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {SECTION}")
    section = text[start : text.find("\n## ", start + 1)]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    return [line.split("  #")[0].strip() for block in blocks for line in block.splitlines() if line.strip()]


def llm_yaml_entry() -> str:
    """The inline ``extra-openai-models.yaml`` entry the section gives."""
    text = README.read_text(encoding="utf-8")
    found = re.search(r"`(- \{model_id: mimo, [^`]*\})`", text)
    assert found is not None
    return found.group(1)


def write_audio_files(folder: Path) -> None:
    """The files the snippets open: speech.wav, meeting.mp3, meeting.m4a."""
    (folder / "speech.wav").write_bytes(encode_tone(1.0, freq_hz=220))
    (folder / "meeting.mp3").write_bytes(encode_tone(2.0, format="MP3", freq_hz=220))
    shutil.copy(FIXTURES / "aac_brand_m4a.m4a", folder / "meeting.m4a")
