"""What a one-off ``cari search`` loads: not Whoosh's query package, searcher or English
morphology (about 20 ms of every start), whatever kind of query it runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

QUERIES = ["kerja sama", "presid*", "jakart~", "ker?a", '"kerja sama" date:2019', "banjir -jakarta",
           "source:kompas banjir", "judul:banjir date:>2019-01-01", "pemerintahn"]
NOT_LOADED = ("whoosh.query", "whoosh.searching", "whoosh.lang.morph_en", "whoosh.qparser")


def test_cari_search_loads_no_whoosh_query_package(cli_index: Path) -> None:
    probe = textwrap.dedent(f"""
        import sys
        from click.testing import CliRunner
        from search.cli import cli
        totals = []
        for query in {QUERIES!r}:
            result = CliRunner().invoke(cli, ["search", query, "--index", {str(cli_index)!r}, "--json"])
            assert result.exit_code == 0, (query, result.output)
            totals.append(result.output.count('"id"'))
        print(sum(totals) > 0, sorted(m for m in {NOT_LOADED!r} if m in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True []"
