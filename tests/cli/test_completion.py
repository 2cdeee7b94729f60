"""`cari completion bash|zsh|fish`, and completion of commands, `--source` names and article ids
through click's completion machinery (`_CARI_COMPLETE`) and through a real bash, over real indexes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import search
from search.cli import cli
from search.compiler import fold
from search.store import index_stats, live_generation_dir

BIN = Path(sys.executable).parent


def complete(words: str, shell: str = "bash", env: dict[str, str] | None = None) -> list[str]:
    """What cari offers for the last word of ``words`` (``"cari search x --source kom"``), asked
    the way the shell scripts ask it."""
    parts = words.split(" ")
    # bash and zsh give the index of the word being completed; fish gives the word itself
    cword = parts[-1] if shell == "fish" else str(len(parts) - 1)
    environment = {"_CARI_COMPLETE": f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": cword,
                   **(env or {})}
    result = CliRunner(env=environment).invoke(cli, [], prog_name="cari")
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    if shell == "zsh":  # type, value, help: three lines an item
        return lines[1::3]
    return [line.split("\t")[0].split(",", 1)[1] for line in lines if line]


@pytest.mark.parametrize(("shell", "marker"), [("bash", "complete -o nosort -F _cari_completion cari"),
                                               ("zsh", "#compdef cari"),
                                               ("fish", "complete --no-files --command cari")])
def test_completion_prints_the_script(shell: str, marker: str) -> None:
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0
    assert marker in result.output and "_CARI_COMPLETE" in result.output
    assert CliRunner().invoke(cli, ["completion", "powershell"]).exit_code == 2


def test_commands_and_options_complete() -> None:
    assert {"search", "serve", "show", "similar", "stats"} <= set(complete("cari s"))
    assert "completion" in complete("cari com")
    assert {"--source", "--since", "--sort", "--color"} <= set(complete("cari search x --s") + complete("cari search x --c"))
    assert complete("cari search x --color a") == ["auto", "always"]


def test_sources_and_ids_complete_from_the_index(cli_index: Path) -> None:
    sources = index_stats(cli_index).sources
    offered = complete(f"cari search gempa --index {cli_index} --source ")
    assert set(offered) == set(sources) and len(offered) > 10
    assert complete(f"cari search gempa --index {cli_index} --source Kom") == \
        sorted(s for s in sources if fold(s).startswith("kom"))
    assert complete(f"cari search x --index {cli_index} --source zzz") == []
    ids = complete(f"cari show --index {cli_index} corpus/html/")
    assert ids and all(i.startswith("corpus/html/") for i in ids)
    with search.open_index(cli_index) as index:
        for aid in ids:
            assert index.get(aid).id == aid
    assert complete(f"cari similar --index {cli_index} corpus/jurnas") == ["corpus/jurnas-2020-06-turki-libya.txt"]
    # --index from the environment, as the commands themselves take it
    assert complete("cari show corpus/jurnas", env={"CARI_INDEX": str(cli_index)}) == \
        ["corpus/jurnas-2020-06-turki-libya.txt"]
    assert complete(f"cari search x --index {cli_index} --source Kom", shell="fish") == \
        sorted(s for s in sources if fold(s).startswith("kom"))
    assert complete(f"cari show --index {cli_index} corpus/jurnas", shell="zsh") == \
        ["corpus/jurnas-2020-06-turki-libya.txt"]


def test_removed_articles_and_broken_indexes_complete_nothing(sample_corpus: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(sample_corpus / "click-id", corpus / "click-id")
    index_dir = tmp_path / "index"
    search.index_corpus([corpus], index_dir, jobs=1)
    assert "detik.com" in complete(f"cari search x --index {index_dir} --source det")
    search.remove_paths([corpus / "click-id" / "detik.jsonl"], index_dir)
    assert complete(f"cari search x --index {index_dir} --source det") == []  # only deleted articles had it
    assert complete(f"cari search x --index {tmp_path / 'none'} --source ") == []
    for toc in live_generation_dir(index_dir).glob("_MAIN_*.toc"):  # type: ignore[union-attr]
        toc.write_bytes(b"garbage")
    assert complete(f"cari search x --index {index_dir} --source ") == []


@pytest.mark.skipif(shutil.which("bash") is None or not (BIN / "cari").exists(),
                    reason="needs bash and the cari script (make .venv/.installed-test)")
def test_bash_completes_through_the_script(cli_index: Path) -> None:
    script = subprocess.run([BIN / "cari", "completion", "bash"], capture_output=True, text=True, check=True).stdout
    probe = (f'{script}\nCOMP_WORDS=(cari search gempa --index "$INDEX" --source Kom); COMP_CWORD=6\n'
             '_cari_completion cari\nprintf "%s\\n" "${COMPREPLY[@]}"\n')
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "INDEX": str(cli_index)}
    shown = subprocess.run(["bash", "--norc", "-c", probe], capture_output=True, text=True, env=env, timeout=60)
    assert shown.returncode == 0, shown.stderr
    sources = index_stats(cli_index).sources
    assert shown.stdout.split("\n")[:-1] == sorted(s for s in sources if fold(s).startswith("kom"))
