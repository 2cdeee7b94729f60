"""The JSON API over a real index of ``corpus/`` (plus two hostile records), through Starlette's test
client: the answers are what the CLI prints, errors have one shape and the right status, guard
rails hold, server paths never reach a client."""

from __future__ import annotations

import json
import shutil
from urllib.parse import quote

import pytest
from click.testing import CliRunner

from search.cli import cli
from search.errors import CariError, IndexIncompatible, IndexNotFound
from search.server.api import MAX_DEPTH, MAX_LIMIT, MAX_QUERY_CHARS
from search.server.errors import error_body, error_code, error_status


def cli_json(*args: str) -> dict:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error", "code"} and body["code"] == code
    assert body["error"] and "\n" not in body["error"] and "Traceback" not in body["error"]
    return body


# --- answers are the CLI's ---------------------------------------------------------------------------


@pytest.mark.parametrize("params, args", [
    ({"q": "kerja sama"}, []),
    ({"q": "presiden jokowi", "limit": 5, "page": 2, "facet": ["source", "year", "month"]},
     ["--limit", "5", "--page", "2", "--facet", "source", "--facet", "year", "--facet", "month"]),
    ({"q": "jakarta", "source": ["kompas", "detik"], "since": "2019-09", "until": "2019-10-15",
      "sort": "newest", "passages": 1},
     ["--source", "kompas", "--source", "detik", "--since", "2019-09", "--until", "2019-10-15",
      "--sort", "newest", "--passages", "1"]),
    ({"q": "kerja sama militer", "all": "true", "passages": 0}, ["--all", "--passages", "0"]),
    ({"q": "pemerintahn"}, []),
])
def test_search_answers_what_cari_search_json_prints(client, serve_index, params, args):
    response = client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    expected = cli_json("search", params["q"], "--index", str(serve_index), "--json", *args)
    assert response.json() == expected
    assert expected["total"] > 0 or expected["suggestion"]


def test_search_results_mean_what_they_say(client, seed_id):
    data = client.get("/api/search", params={"q": "turki libya", "facet": "source"}).json()
    assert data["hits"][0]["id"] == seed_id
    assert data["facets"]["source"]["jurnas.com"] == 1
    newest = client.get("/api/search", params={"q": "jakarta", "sort": "newest", "limit": 20}).json()
    dates = [h["published"][:10] for h in newest["hits"] if h["published"]]
    assert dates == sorted(dates, reverse=True) and len(dates) > 5
    suggested = client.get("/api/search", params={"q": "pemerintahn"}).json()
    assert suggested["total"] == 0 and suggested["suggestion"] == "pemerintah"


def test_article_and_similar_answer_what_cari_show_and_similar_print(client, serve_index, corpus_ids):
    for article_id in (corpus_ids["seed"], corpus_ids["html"], "hostile-img-title"):
        response = client.get("/api/articles/" + quote(article_id, safe=""))
        assert response.status_code == 200, response.text
        assert response.json() == cli_json("show", article_id, "--index", str(serve_index), "--json")
        similar = client.get(f"/api/articles/{quote(article_id, safe='')}/similar", params={"limit": 3})
        assert similar.status_code == 200
        assert similar.json() == cli_json("similar", article_id, "--index", str(serve_index), "--json",
                                          "--limit", "3")
    # the slash of an id may also stay as it is
    assert client.get("/api/articles/" + corpus_ids["html"]).json()["id"] == corpus_ids["html"]


def test_stats_are_cari_stats_without_server_paths(client, serve_index, article_count):
    response = client.get("/api/stats")
    assert response.status_code == 200
    data = response.json()
    expected = cli_json("stats", "--index", str(serve_index), "--json")
    assert "index_dir" not in data and "corpus_paths" not in data
    assert data == {k: v for k, v in expected.items() if k not in ("index_dir", "corpus_paths")}
    assert str(serve_index) not in response.text and str(serve_index.parent) not in response.text
    assert data["articles"] == article_count


def test_healthz(client, article_count):
    assert client.get("/healthz").json() == {"status": "ok", "articles": article_count}


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize("params, code", [
    ({"q": '"kerja sama'}, "query_syntax"),
    ({"q": "(kerja sama"}, "query_syntax"),
    ({"q": "judulx:kerja"}, "query_syntax"),
    ({"q": "date:2020-13-45"}, "query_syntax"),
    ({"q": "kerja", "since": "kemarin"}, "query_syntax"),
    ({"q": "kerja", "since": "2021", "until": "2020"}, "query_syntax"),
    ({"q": "   "}, "query_syntax"),
    ({}, "invalid_parameter"),
    ({"q": ""}, "invalid_parameter"),
    ({"q": "x" * (MAX_QUERY_CHARS + 1)}, "invalid_parameter"),
    ({"q": "kerja", "limit": MAX_LIMIT + 1}, "invalid_parameter"),
    ({"q": "kerja", "limit": -1}, "invalid_parameter"),
    ({"q": "kerja", "limit": "ten"}, "invalid_parameter"),
    ({"q": "kerja", "page": 0}, "invalid_parameter"),
    ({"q": "kerja", "limit": 100, "page": MAX_DEPTH // 100 + 1}, "page_too_deep"),
    ({"q": "kerja", "sort": "random"}, "invalid_parameter"),
    ({"q": "kerja", "facet": "author"}, "invalid_parameter"),
    ({"q": "kerja", "passages": 99}, "invalid_parameter"),
    ({"q": "kerja", "source": [f"s{i}" for i in range(30)]}, "invalid_parameter"),
])
def test_bad_requests_are_400_with_a_one_line_reason(client, params, code):
    assert_error(client.get("/api/search", params=params), 400, code)


def test_deepest_page_is_allowed(client, article_count):
    response = client.get("/api/search", params={"q": "*", "limit": 100, "page": MAX_DEPTH // 100})
    assert response.status_code == 200 and response.json()["total"] == article_count


def test_unknown_article_and_route_are_404(client):
    body = assert_error(client.get("/api/articles/no-such-article"), 404, "article_not_found")
    assert "no-such-article" in body["error"] and "/" not in body["error"]  # no server path
    assert_error(client.get("/api/articles/no-such-article/similar"), 404, "article_not_found")
    assert_error(client.get("/api/nothing-here"), 404, "not_found")
    assert_error(client.post("/api/search?q=kerja"), 405, "method_not_allowed")


def test_missing_index_is_503_then_served_once_built(tmp_path, sample_corpus):
    from fastapi.testclient import TestClient

    import search
    from search.server import create_app

    index_dir = tmp_path / "secret-place" / "index"
    with TestClient(create_app(index_dir)) as client:
        for url in ("/api/search?q=kerja", "/api/stats", "/healthz", "/api/articles/x"):
            body = assert_error(client.get(url), 503, "index_not_found")
            assert "secret-place" not in body["error"] and str(tmp_path) not in body["error"]
        page = client.get("/", headers={"accept": "text/html"})
        assert page.status_code == 503 and "text/html" in page.headers["content-type"]
        assert "secret-place" not in page.text
        search.index_corpus([sample_corpus / "jurnas-2020-06-turki-libya.txt"], index_dir, jobs=1)
        assert client.get("/api/search", params={"q": "libya"}).json()["total"] == 1
        # the index disappears: 503 again, and served again when it is back
        shutil.rmtree(index_dir)
        assert_error(client.get("/api/search", params={"q": "libya"}), 503, "index_not_found")
        search.index_corpus([sample_corpus / "jurnas-2020-06-turki-libya.txt"], index_dir, jobs=1)
        assert client.get("/api/search", params={"q": "turki"}).json()["total"] == 1


def test_incompatible_index_is_503_without_paths(tmp_path, sample_corpus):
    from fastapi.testclient import TestClient

    import search
    from search.server import create_app
    from search.store import META_FILE, live_generation_dir, read_checked_json, write_checked_json

    index_dir = tmp_path / "index"
    search.index_corpus([sample_corpus / "jurnas-2020-06-turki-libya.txt"], index_dir, jobs=1)
    meta_path = live_generation_dir(index_dir) / META_FILE
    meta = read_checked_json(meta_path)
    write_checked_json(meta_path, {**meta, "schema_version": 999})  # as another cari writes it
    with TestClient(create_app(index_dir)) as client:
        body = assert_error(client.get("/api/search", params={"q": "libya"}), 503, "index_incompatible")
        assert "rebuild" in body["error"] and str(tmp_path) not in body["error"]


def test_error_table_covers_new_error_classes_by_hierarchy_and_exit_code():
    class IndexDamaged(IndexIncompatible):
        """As the lead might add: a damaged index (exit 3)."""

    class SomethingBusy(CariError):
        exit_code = 4

    class SomethingOdd(CariError):
        exit_code = 1

    assert error_status(IndexDamaged("x")) == 503 and error_code(IndexDamaged("x")) == "index_damaged"
    assert error_status(SomethingBusy("x")) == 503
    assert error_status(SomethingOdd("x")) == 503
    assert error_status(IndexNotFound("x")) == 503


def test_error_messages_lose_server_paths(tmp_path):
    index_dir = tmp_path / "srv" / "index"
    error = IndexIncompatible(f"the index at {index_dir} has an unreadable cari.json ([Errno 13] "
                              f"Permission denied: '{index_dir}/gen-000001/cari.json'); and /etc/x/y")
    body = error_body(error, index_dir)
    assert str(tmp_path) not in body["error"] and "/etc/x" not in body["error"]
    assert body["error"].startswith("the index at <index> has an unreadable cari.json")


# --- guards --------------------------------------------------------------------------------------


def test_security_headers_on_every_answer(client):
    for url in ("/", "/?q=kerja", "/api/search?q=kerja", "/api/articles/nope", "/static/cari.css", "/docs"):
        response = client.get(url)
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_openapi_documents_the_routes_and_the_error_shape(client):
    schema = client.get("/openapi.json").json()
    for path in ("/api/search", "/api/articles/{article_id}", "/api/articles/{article_id}/similar",
                 "/api/stats", "/healthz"):
        assert path in schema["paths"], path
        responses = schema["paths"][path]["get"]["responses"]
        assert "422" not in responses and "400" in responses or path == "/healthz"
    names = {p["name"] for p in schema["paths"]["/api/search"]["get"]["parameters"]}
    assert names == {"q", "limit", "page", "source", "since", "until", "sort", "facet", "facet_limit",
                     "facet_zeros", "passages", "all", "any", "collapse"}
    assert set(schema["components"]["schemas"]["ErrorOut"]["properties"]) == {"error", "code"}
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/docs.js" in docs.text and "<script>" not in docs.text


def test_commits_are_picked_up_without_a_restart(tmp_path, sample_corpus):
    from fastapi.testclient import TestClient

    import search
    from search.server import create_app

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(sample_corpus / "jurnas-2020-06-turki-libya.txt", corpus)
    index_dir = tmp_path / "index"
    search.index_corpus([corpus], index_dir, jobs=1)
    with TestClient(create_app(index_dir)) as client:
        assert client.get("/api/search", params={"q": "pinisi"}).json()["total"] == 0
        (corpus / "new.jsonl").write_text(json.dumps(
            {"id": "new-1", "title": "Kapal pinisi berlayar", "date": "2022-01-02",
             "body": "Kapal pinisi dari Bulukumba berlayar ke Jakarta membawa rempah."}) + "\n")
        search.index_corpus([corpus], index_dir, jobs=1)
        found = client.get("/api/search", params={"q": "pinisi"}).json()
        assert [h["id"] for h in found["hits"]] == ["new-1"]
        assert client.get("/healthz").json()["articles"] == 2
        search.index_corpus([corpus], index_dir, jobs=1, rebuild=True)
        assert client.get("/api/articles/new-1").json()["title"] == "Kapal pinisi berlayar"
