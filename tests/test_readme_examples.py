"""Every Python example of the README's API section runs, in order, as a user would run it: in a
folder holding a copy of the shipped corpus, one interpreter for all of them."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def api_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## The Python API"):text.index("## The server")]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def test_the_api_section_has_examples() -> None:
    assert len(api_examples()) >= 4


def test_every_api_example_runs(tmp_path: Path, sample_corpus: Path) -> None:
    shutil.copytree(sample_corpus, tmp_path / "corpus")
    script = "\n\n".join(api_examples())
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "bad query: unbalanced quote" in result.stdout and "exit code 2" in result.stdout
    assert "pemerintah" in result.stdout
