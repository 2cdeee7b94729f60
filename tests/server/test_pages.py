"""The HTML pages without a browser: what they show, the state their links carry, the languages,
the escaping of hostile articles, and no 500 for odd parameters."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from bs4 import BeautifulSoup

from tests.server.conftest import HOSTILE_IDS

HTML = {"accept": "text/html"}


def page(client, url: str, status: int = 200, **headers: str) -> BeautifulSoup:
    response = client.get(url, headers={**HTML, **headers})
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "lxml")


def params(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def test_home_shows_the_index_and_the_search_box(client, article_count):
    soup = page(client, "/")
    assert soup.select_one("form.searchbox input[name=q]") is not None
    assert soup.find("html")["lang"] == "id"
    assert f"{article_count:,}".replace(",", ".") in soup.select_one(".overview .summary").text
    browse = soup.select(".browse a")
    assert browse and all(params(a["href"]).get("source") for a in browse)


def test_results_show_title_date_source_url_and_marked_passages(client):
    soup = page(client, "/?q=kerja+sama")
    hits = soup.select("ol.hits > li")
    assert len(hits) == 10
    summary = soup.select_one(".summary").text
    total = client.get("/api/search", params={"q": "kerja sama"}).json()["total"]
    assert str(total) in summary and "artikel" in summary
    for hit in hits:
        assert hit.select_one("h3 a")["href"].startswith("/articles/")
        assert hit.select_one(".meta .date").text
        assert hit.select("p.passage mark")
    assert {m.text.lower() for m in soup.select("p.passage mark")} & {"kerja", "sama", "bekerja"}
    assert soup.select_one("ol.hits")["start"] == "1"


def test_pagination_with_the_exact_total_and_links_that_keep_the_state(client):
    soup = page(client, "/?q=jakarta&source=kompas&sort=newest")
    total = client.get("/api/search", params={"q": "jakarta", "source": "kompas"}).json()["total"]
    assert total > 10
    next_link = soup.select_one(".pager a[rel=next]")
    assert params(next_link["href"]) == {"q": ["jakarta"], "source": ["kompas"], "sort": ["newest"], "page": ["2"]}
    second = page(client, next_link["href"])
    assert second.select_one("ol.hits")["start"] == "11"
    assert second.select_one(".pager [aria-current=page]").text == "2"
    last = max(int(x.text) for x in second.select(".pager a:not([rel]), .pager [aria-current=page]"))
    assert last == (total + 9) // 10


def test_facets_are_links_that_filter_and_unfilter(client):
    soup = page(client, "/?q=presiden")
    source = soup.select_one("[data-facet=source] li a")
    name = source.text
    assert params(source["href"]) == {"q": ["presiden"], "source": [name]}
    filtered = page(client, source["href"])
    assert {s.text for s in filtered.select("ol.hits .source")} == {name}
    active = filtered.select_one("[data-facet=source] li.active a")
    assert active.text == name and params(active["href"]) == {"q": ["presiden"]}
    year = soup.select_one("[data-facet=year] li a")
    assert params(year["href"]) == {"q": ["presiden"], "since": [year.text], "until": [year.text]}
    in_year = page(client, year["href"])
    assert all(d.text.endswith(year.text) for d in in_year.select("ol.hits .date"))
    assert in_year.select("[data-facet=month] li a")  # within a year, months are listed
    chips = in_year.select(".chips a.chip")
    assert any(params(c["href"]) == {"q": ["presiden"]} for c in chips)


def test_the_chart_counts_matches_over_time_with_links(client):
    soup = page(client, "/?q=presiden&since=2019&until=2019")
    bars = soup.select("figure.timeline svg a")
    months = client.get("/api/search", params={"q": "presiden", "since": "2019", "until": "2019",
                                               "facet": "month"}).json()["facets"]["month"]
    first, last = min(months), max(months)
    expected = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    assert len(bars) == expected
    counted = {params(a["href"])["since"][0]: a.find("title").text for a in bars}
    for month, count in months.items():
        assert counted[month].endswith(f": {count}")


def test_did_you_mean_links_to_the_suggestion(client):
    soup = page(client, "/?q=pemerintahn&sort=newest")
    link = soup.select_one(".suggestion a")
    assert link.text == "pemerintah"
    assert params(link["href"]) == {"q": ["pemerintah"], "sort": ["newest"]}


def test_a_bad_query_is_400_with_the_reason_in_the_page(client):
    soup = page(client, '/?q=%22kerja+sama', status=400)
    assert "unbalanced quote" in soup.select_one(".error").text
    assert soup.select_one("form.searchbox input[name=q]")["value"] == '"kerja sama'
    deep = page(client, "/?q=kerja&page=500", status=400)
    assert "1.000" in deep.select_one(".error").text


def test_article_page_shows_every_field_with_marks_and_similar_articles(client, seed_id):
    soup = page(client, f"/articles/{quote(seed_id, safe='')}?q=turki+libya&sort=newest&page=1")
    assert soup.select_one("h1").text.startswith("Turki Siap Berkolaborasi")
    assert {m.text for m in soup.select("h1 mark")} == {"Turki", "Libya"}
    fields = [dt.text for dt in soup.select("dl.fields dt")]
    assert {"Terbit", "Sumber", "Lokasi", "Kata kunci", "ID"} <= set(fields)
    assert "WIB" in soup.select_one("dl.fields dd").text
    assert soup.select(".body mark") and soup.select(".caption mark")
    assert "Aktaş" in soup.select_one(".caption").text
    similar = soup.select(".similar li a")
    expected = client.get(f"/api/articles/{quote(seed_id, safe='')}/similar", params={"limit": 5}).json()
    assert len(similar) == len(expected["hits"]) > 0
    assert params(similar[0]["href"]) == {"q": ["turki libya"], "sort": ["newest"]}
    back = soup.select_one(".back a")
    assert back["href"].startswith("/?") and params(back["href"]) == {"q": ["turki libya"], "sort": ["newest"]}


def test_article_page_of_an_id_with_a_slash_and_unknown_id(client, corpus_ids):
    soup = page(client, "/articles/" + quote(corpus_ids["html"], safe=""))
    assert soup.select_one("dl.fields code").text == corpus_ids["html"]
    missing = page(client, "/articles/no-such-article", status=404)
    assert "no-such-article" in missing.select_one(".error").text


def test_labels_are_indonesian_by_default_english_on_request(client):
    default = page(client, "/?q=kerja")
    assert default.select_one("form.searchbox button").text == "Cari"
    assert "Urutkan" in default.select_one("aside").text and "Sumber" in default.select_one("aside").text
    english = page(client, "/?q=kerja&lang=en")
    assert english.select_one("form.searchbox button").text == "Search"
    assert english.find("html")["lang"] == "en"
    # the chosen language stays in every link
    assert all(params(a["href"]).get("lang") == ["en"] for a in english.select("ol.hits h3 a, .pager a"))
    browser = page(client, "/?q=kerja", **{"accept-language": "en-GB,en;q=0.9,id;q=0.5"})
    assert browser.select_one("form.searchbox button").text == "Search"
    prefers_id = page(client, "/?q=kerja", **{"accept-language": "id-ID,id;q=0.9,en;q=0.8"})
    assert prefers_id.select_one("form.searchbox button").text == "Cari"
    assert page(client, "/?q=kerja&lang=id", **{"accept-language": "en"}).find("html")["lang"] == "id"
    assert client.get("/?q=kerja", headers=HTML).headers["vary"] == "Accept-Language"


def test_hostile_fields_are_text_and_never_links(client):
    response = client.get("/?q=serangan+siber+pemerintah", headers=HTML)
    assert response.status_code == 200
    body = response.text
    assert "<script>window" not in body and "<img src=x" not in body and "<svg onload" not in body
    soup = BeautifulSoup(body, "lxml")
    titles = {a.text for a in soup.select("ol.hits h3 a")}
    assert "<script>window.cariXss='title'</script> Serangan siber lumpuhkan layanan Pemkot Bekasi" in titles
    assert any(t.startswith('"><img src=x onerror=') for t in titles)
    hrefs = [a["href"] for a in soup.find_all("a")]
    assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:"))]
    assert soup.find("img") is None and len(soup.find_all("script")) == 1  # /static/cari.js only
    shown = {p.text for p in soup.select("ol.hits p.link span")}
    assert "javascript:window.cariXss='url'" in shown
    for article_id in HOSTILE_IDS:
        article = BeautifulSoup(client.get("/articles/" + article_id, headers=HTML).text, "lxml")
        assert article.find("img") is None and article.find("svg") is None
        assert len(article.find_all("script")) == 1
        assert not [a for a in article.find_all("a") if a["href"].lower().startswith(("javascript:", "data:"))]
        assert "window.cariXss" in article.select_one("h1").text


@pytest.mark.parametrize("url", [
    "/?q=kerja&page=abc", "/?q=kerja&page=-3", "/?q=kerja&sort=random", "/?q=kerja&lang=xx",
    "/?q=kerja&since=kemarin", "/?q=" + "x" * 2000, "/?q=%00%01", "/?q=*&source=" + "s" * 500,
    "/articles/%00", "/articles/..%2F..%2Fetc%2Fpasswd", "/?q=date:%5B2020+TO", "/?q=title:",
])
def test_odd_page_parameters_never_give_a_500(client, url):
    response = client.get(url, headers=HTML)
    assert response.status_code < 500, response.text[:300]
    assert "Traceback" not in response.text
