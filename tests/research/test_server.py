"""The research routes of the API (``/api/export`` streamed, ``/api/timeline``, ``/api/kwic``) and
what changed in ``/api/search`` and the page: the same objects and rows as the CLI prints, over a
real index of ``corpus/`` with syndicated copies, through Starlette's test client."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest

from tests.research.conftest import cli_json, run_cli

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'cari[serve]'")


@pytest.fixture(scope="module")
def client(copies_index) -> Iterator:
    from fastapi.testclient import TestClient

    from search.server import create_app

    with TestClient(create_app(copies_index)) as test_client:
        yield test_client


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "code"} and body["code"] == code and "\n" not in body["error"]


@pytest.mark.parametrize(("params", "args"), [
    ({"q": "jakarta"}, []),
    ({"q": "jakarta polisi", "any": "true", "sort": "newest", "fields": ["id", "published", "tail"]},
     ["--any", "--sort", "newest", "--fields", "id,published,tail"]),
    ({"q": "*", "unique": "true", "fields": ["id", "group", "duplicates"]},
     ["--unique", "--fields", "id,group,duplicates"]),
])
def test_export_streams_what_cari_export_writes(client, copies_index, params, args):
    response = client.get("/api/export", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    assert "attachment" in response.headers["content-disposition"]
    expected = run_cli("export", params["q"], "--index", copies_index, *args).stdout
    assert response.text == expected
    assert int(response.headers["x-total-count"]) == len(expected.splitlines())
    as_csv = client.get("/api/export", params={**params, "format": "csv", "bom": "true"})
    assert as_csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert as_csv.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(as_csv.content.decode("utf-8-sig"), newline="")))
    assert [r["id"] for r in table] == [json.loads(line)["id"] for line in expected.splitlines()]


def test_timeline_and_kwic_answer_what_the_cli_prints(client, copies_index):
    got = client.get("/api/timeline", params={"q": ["banjir", "gempa"], "by": "week", "since": "2019-09"})
    assert got.status_code == 200, got.text
    assert got.json() == cli_json("timeline", "banjir", "gempa", "--by", "week", "--since", "2019-09",
                                  "--index", copies_index, "--json")
    once = client.get("/api/timeline", params={"q": "*", "by": "year", "unique": "true"}).json()
    assert once == cli_json("timeline", "*", "--by", "year", "--unique", "--index", copies_index, "--json")
    lines = client.get("/api/kwic", params={"q": "kerja", "width": 15, "sort": "left"})
    assert lines.status_code == 200
    assert lines.json() == cli_json("kwic", "kerja", "--width", "15", "--sort", "left", "-n", "100",
                                    "--index", copies_index, "--json")


def test_search_says_strict_tail_and_copies(client, copies_index):
    data = client.get("/api/search", params={"q": "Crowde petani", "limit": 50}).json()
    assert data == cli_json("search", "Crowde petani", "--limit", "50", "--index", copies_index, "--json")
    assert data["total"] == data["matched_all"] and data["collapsed"] >= 2
    assert any(h["duplicates"] for h in data["hits"])
    listed = client.get("/api/search", params={"q": "Crowde petani", "limit": 50, "collapse": "false"}).json()
    assert len(listed["hits"]) == len(data["hits"]) + data["collapsed"]
    counted = client.get("/api/search", params={"q": "Crowde petani", "any": "true", "facet": "day"}).json()
    assert counted["total"] == data["total"] + data["tail"] == sum(counted["facets"]["day"].values())
    page = client.get("/", params={"q": "Crowde petani"}, headers={"accept": "text/html"})
    assert page.status_code == 200 and 'class="tail-start"' in page.text and "+ 2 salinan" in page.text


def test_bad_requests_are_400(client):
    assert_error(client.get("/api/export", params={"q": '"x'}), 400, "query_syntax")
    assert_error(client.get("/api/export", params={"q": "x", "fields": "secret"}), 400, "invalid_parameter")
    assert_error(client.get("/api/export", params={"q": "x", "all": "true", "any": "true"}), 400, "invalid_parameter")
    assert_error(client.get("/api/timeline", params={"q": "x", "by": "hour"}), 400, "invalid_parameter")
    assert_error(client.get("/api/timeline", params={"q": ["x"] * 21}), 400, "invalid_parameter")
    assert_error(client.get("/api/timeline", params={"q": "*", "by": "day", "since": "0001", "until": "9999"}),
                 400, "invalid_argument")
    assert_error(client.get("/api/timeline"), 400, "invalid_parameter")
    assert_error(client.get("/api/kwic", params={"q": "x", "limit": 10_001}), 400, "invalid_parameter")
    assert_error(client.get("/api/kwic", params={"q": "(x"}), 400, "query_syntax")
