"""The token: every request needs it (header or the sign-in cookie), the page asks for it once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def guarded(serve_index) -> Iterator:
    from fastapi.testclient import TestClient

    from search.server import create_app

    with TestClient(create_app(serve_index, token=TOKEN), follow_redirects=False) as client:
        yield client


def test_without_the_token_every_route_is_401(guarded):
    for url in ("/api/search?q=kerja", "/api/articles/x", "/api/stats", "/healthz", "/openapi.json",
                "/docs", "/?q=kerja", "/articles/jurnas-2020-06-turki-libya.txt"):
        response = guarded.get(url)
        assert response.status_code == 401, url
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json() == {"error": "this server needs its token: Authorization: Bearer TOKEN",
                                   "code": "unauthorized"}
    wrong = guarded.get("/api/search?q=kerja", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert guarded.get("/api/search?q=kerja", headers={"authorization": TOKEN}).status_code == 401


def test_the_bearer_token_opens_every_route(guarded):
    headers = {"authorization": f"Bearer {TOKEN}"}
    assert guarded.get("/api/search", params={"q": "kerja"}, headers=headers).json()["total"] > 0
    assert guarded.get("/healthz", headers=headers).status_code == 200
    assert guarded.get("/?q=kerja", headers={**headers, "accept": "text/html"}).status_code == 200
    schema = guarded.get("/openapi.json", headers=headers).json()
    assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_static_files_need_no_token(guarded):
    assert guarded.get("/static/cari.css").status_code == 200


def test_a_browser_gets_the_form_then_a_cookie(guarded):
    page = guarded.get("/?q=kerja+sama&lang=en", headers={"accept": "text/html"})
    assert page.status_code == 401 and "text/html" in page.headers["content-type"]
    assert 'action="/login"' in page.text and 'name="next" value="/?q=kerja+sama&amp;lang=en"' in page.text
    assert "Access token" in page.text  # the language the page asked for

    wrong = guarded.post("/login", data={"token": "nope", "next": "/?q=kerja"})
    assert wrong.status_code == 401 and "Token salah" in wrong.text

    signed = guarded.post("/login", data={"token": TOKEN, "next": "/?q=kerja+sama&lang=en"})
    assert signed.status_code == 303 and signed.headers["location"] == "/?q=kerja+sama&lang=en"
    cookie = signed.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert TOKEN not in cookie  # a digest, not the token
    value = cookie.split(";")[0].split("=", 1)[1]
    from search.server.security import COOKIE_NAME

    page = guarded.get("/?q=kerja+sama", headers={"accept": "text/html", "cookie": f"{COOKIE_NAME}={value}"})
    assert page.status_code == 200 and "<mark>" in page.text
    api = guarded.get("/api/stats", headers={"cookie": f"{COOKIE_NAME}={value}"})
    assert api.status_code == 200
    assert guarded.get("/api/stats", headers={"cookie": f"{COOKIE_NAME}={value}x"}).status_code == 401


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"])
def test_sign_in_never_redirects_elsewhere(guarded, target):
    signed = guarded.post("/login", data={"token": TOKEN, "next": target})
    assert signed.status_code == 303 and signed.headers["location"] == "/"
