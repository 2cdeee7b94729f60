"""The page in a real browser: headless Debian Chromium driven by Playwright against a real
``cari serve`` (uvicorn) on a loopback port, over the index of ``corpus/`` plus the hostile records.

A person can look at the screenshots this leaves in ``tests/artifacts/`` (not committed): the result
and article pages at desktop and phone widths. Skips with a reason without Chromium (install
Debian's ``chromium``; Playwright's own browser download is not used).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")

CHROMIUM = Path(os.environ.get("CARI_CHROMIUM", "/usr/bin/chromium"))
if not CHROMIUM.exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CARI_CHROMIUM)",
                allow_module_level=True)

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def browser() -> Iterator:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


class Watched:
    """A page with its dialogs (an ``alert`` would be a script that ran) and Content-Security-Policy
    reports (our own page must not break its own policy) recorded."""

    def __init__(self, browser, base: str, **options) -> None:
        self.context = browser.new_context(locale=options.pop("locale", "id-ID"), **options)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.page = self.context.new_page()
        self.base = base
        self.dialogs: list[str] = []
        self.console: list[str] = []
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))
        self.page.on("console", lambda message: self.console.append(message.text))

    def open(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status < 500

    def params(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.page.url).query)

    def assert_clean(self) -> None:
        assert self.dialogs == []
        assert self.page.evaluate("typeof window.cariXss") == "undefined"
        assert not [m for m in self.console if "Content Security Policy" in m]

    def screenshot(self, name: str, full_page: bool = True) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def desktop(browser, live_server) -> Iterator[Watched]:
    watched = Watched(browser, live_server.url, viewport=DESKTOP)
    yield watched
    watched.close()


def test_search_facet_page_forward_open_an_article(desktop):
    page = desktop.page
    desktop.open("/")
    page.fill("form.searchbox input[name=q]", "presiden jokowi")
    page.press("form.searchbox input[name=q]", "Enter")
    page.wait_for_selector("ol.hits > li")
    assert desktop.params()["q"] == ["presiden jokowi"]
    assert page.locator("html").get_attribute("lang") == "id"
    assert page.locator("ol.hits mark").count() > 5
    desktop.screenshot("results-desktop")

    source = page.locator("[data-facet=source] li a").first
    name = source.inner_text()
    source.click()
    page.wait_for_url(lambda url: "source=" in url)
    assert desktop.params()["source"] == [name]
    shown = set(page.locator("ol.hits .source").all_inner_texts())
    assert shown == {name}

    desktop.open("/?q=jakarta")
    total_pages = int(page.locator(".pager a:not([rel])").last.inner_text())
    assert total_pages >= 2
    first_titles = page.locator("ol.hits h3").all_inner_texts()
    page.click(".pager a[rel=next]")
    page.wait_for_url(lambda url: "page=2" in url)
    assert page.locator("ol.hits").get_attribute("start") == "11"
    assert set(page.locator("ol.hits h3").all_inner_texts()).isdisjoint(first_titles)

    title = page.locator("ol.hits h3 a").first
    heading = title.inner_text()
    title.click()
    page.wait_for_selector("article.article h1")
    assert page.locator("article.article h1").inner_text() == heading
    assert page.locator(".body mark").count() > 0
    assert page.locator(".similar li").count() > 0
    page.click(".back a")
    page.wait_for_selector("ol.hits")
    assert desktop.params() == {"q": ["jakarta"], "page": ["2"]}
    desktop.assert_clean()


def test_article_page_marks_the_query(desktop, seed_id):
    desktop.open(f"/articles/{quote(seed_id, safe='')}?q=turki+libya")
    marks = set(desktop.page.locator("article mark").all_inner_texts())
    assert {"Turki", "Libya"} <= marks
    desktop.screenshot("article-desktop", full_page=False)
    desktop.assert_clean()


def test_sort_date_filter_and_suggestion(desktop):
    page = desktop.page
    desktop.open("/?q=presiden")
    page.select_option("aside select[name=sort]", "newest")  # applies itself (static/cari.js)
    page.wait_for_url(lambda url: "sort=newest" in url)
    dates = page.locator("ol.hits .date").all_inner_texts()
    assert len(dates) == 10
    page.fill("aside input[name=since]", "2019-10")
    page.fill("aside input[name=until]", "2019-10")
    page.click("aside form.refine button")
    page.wait_for_url(lambda url: "since=2019-10" in url)
    assert all(d.endswith("Oktober 2019") for d in page.locator("ol.hits .date").all_inner_texts())
    assert desktop.params()["sort"] == ["newest"]
    desktop.open("/?q=pemerintahn")
    page.click(".suggestion a")
    page.wait_for_url(lambda url: "q=pemerintah&" in url or url.endswith("q=pemerintah"))
    assert page.locator("ol.hits > li").count() > 0
    desktop.open("/?q=presiden&since=2019&until=2019")
    bar = page.locator("figure.timeline svg a").first
    bar.click()
    page.wait_for_url(lambda url: "since=2019-" in url)
    desktop.assert_clean()


def test_hostile_articles_show_as_text_and_never_run_or_link(desktop):
    page = desktop.page
    desktop.open("/?q=serangan+siber+pemerintah")
    titles = page.locator("ol.hits h3").all_inner_texts()
    assert "<script>window.cariXss='title'</script> Serangan siber lumpuhkan layanan Pemkot Bekasi" in titles
    assert any(t.startswith('"><img src=x onerror=') for t in titles)
    assert page.locator("main img").count() == 0
    assert "javascript:window.cariXss='url'" in page.locator("ol.hits .link").all_inner_texts()
    hrefs = page.eval_on_selector_all("a", "links => links.map(a => a.getAttribute('href'))")
    assert not [h for h in hrefs if h.strip().lower().startswith(("javascript:", "data:"))]
    page.hover("ol.hits h3 a")
    desktop.screenshot("hostile-results-desktop")
    desktop.assert_clean()
    for article_id in ("hostile-script-title", "hostile-img-title"):
        desktop.open(f"/articles/{article_id}")
        assert "window.cariXss" in page.locator("article h1").inner_text()
        assert page.locator("article img, article svg, article b, article iframe").count() == 0
        assert page.locator("dd.url a").count() == 0
        for element in page.locator("dl.fields dd").all():
            element.hover()
        desktop.assert_clean()


def test_without_javascript_everything_still_works(browser, live_server):
    watched = Watched(browser, live_server.url, viewport=DESKTOP, java_script_enabled=False)
    try:
        page = watched.page
        watched.open("/?q=presiden")
        page.select_option("aside select[name=sort]", "oldest")
        page.click("aside form.refine button")
        page.wait_for_url(lambda url: "sort=oldest" in url)
        page.click(".pager a[rel=next]")
        page.wait_for_url(lambda url: "page=2" in url)
        assert watched.params()["sort"] == ["oldest"]
    finally:
        watched.close()


def test_phone_width_and_english(browser, live_server, seed_id):
    watched = Watched(browser, live_server.url, viewport=PHONE, locale="en-GB",
                      device_scale_factor=2, is_mobile=True, has_touch=True)
    try:
        page = watched.page
        watched.open("/?q=kerja+sama")
        assert page.locator("form.searchbox button").inner_text() == "Search"
        # one column: nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        watched.screenshot("results-phone", full_page=False)
        watched.open(f"/articles/{quote(seed_id, safe='')}?q=kerja+sama")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        watched.screenshot("article-phone", full_page=False)
        watched.assert_clean()
    finally:
        watched.close()
