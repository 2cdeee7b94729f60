"""``cari serve`` as a command: a real uvicorn on loopback, the token rule for other hosts, the
message without the serve extra, and a ``cari search`` that still imports nothing of the server."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request

from click.testing import CliRunner

from search.cli import SERVE_MISSING_EXIT, cli
from tests.server.conftest import LiveServer

SERVER_MODULES = ("fastapi", "starlette", "uvicorn", "jinja2", "pydantic", "search.server")


def fetch(url: str, **headers: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_serve_without_the_extra_says_how_to_install_it(serve_index):
    blocked = textwrap.dedent(f"""
        import sys
        for name in ("fastapi", "uvicorn"):
            sys.modules[name] = None  # as if the serve extra were not installed
        sys.argv = ["cari", "serve", "--index", {str(serve_index)!r}]
        from search.cli import main
        main()
    """)
    result = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60)
    assert result.returncode == SERVE_MISSING_EXIT == 2
    # the first of the extra's modules imported is named (uvicorn, then fastapi through search.server)
    assert result.stderr.strip().splitlines() == [
        "Error: cari serve needs the serve extra (uvicorn is missing): pip install 'cari[serve]'"]


def test_other_hosts_need_a_token(serve_index):
    result = CliRunner().invoke(cli, ["serve", "--index", str(serve_index), "--host", "0.0.0.0"],
                                env={"CARI_TOKEN": ""})
    assert result.exit_code == 2 and "--token" in result.output and "Traceback" not in result.output


def test_cari_search_imports_nothing_of_the_server(serve_index):
    probe = textwrap.dedent(f"""
        import sys
        from click.testing import CliRunner
        from search.cli import cli
        result = CliRunner().invoke(cli, ["search", "kerja", "--index", {str(serve_index)!r}, "--json"])
        assert result.exit_code == 0, result.output
        print(sorted(m for m in sys.modules if m.split(".")[0] in {SERVER_MODULES!r}
                     or m.startswith("search.server")))
    """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_real_server_with_a_token_and_two_workers(serve_index, article_count, seed_id):
    server = LiveServer(serve_index, "--workers", "2", env={"CARI_TOKEN": "tok-123"})
    try:
        status, body = fetch(server.url + "/api/stats")
        assert status == 401 and body["code"] == "unauthorized"
        for _ in range(4):  # whichever worker answers
            status, body = fetch(server.url + "/healthz", Authorization="Bearer tok-123")
            assert (status, body) == (200, {"status": "ok", "articles": article_count})
        status, body = fetch(server.url + "/api/search?q=libya", Authorization="Bearer tok-123")
        assert status == 200 and body["hits"][0]["id"] == seed_id
    finally:
        server.stop()
    assert server.process.returncode is not None
