"""The App answers only whoever holds its token; other sites can change nothing; limits and headers.

Attacks as another local account or a web page would try them: no token, a wrong
one, cross-site writes (a foreign ``Origin``, ``text/plain`` bodies, a bare
cancel), huge bodies and names, framing, and jobs that name model folders
outside the allowed ones.
"""

from __future__ import annotations

import logging

import pytest
from app_client import TOKEN, app_client

import bakeoff as fo
from bakeoff.app.security import MAX_BODY_BYTES, cookie_name, make_token
from bakeoff.errors import AppTokenError, brief, suggest

pytestmark = pytest.mark.one_database

# TestClient talks to "testserver" on port 80, which names the cookie
PROTECTED = [("GET", "/api/datasets"), ("GET", "/api/datasets/photos"), ("GET", "/api/session"),
             ("GET", "/api/jobs"), ("GET", "/openapi.json"), ("GET", "/api/health"),
             ("POST", "/api/samples"), ("POST", "/api/jobs/1/cancel"), ("PUT", "/api/session")]


@pytest.fixture
def anonymous():
    """A client that sends no token (its requests carry only what a test adds)."""
    with app_client() as client:
        client.headers.pop("Authorization")
        yield client


@pytest.mark.parametrize(("method", "path"), PROTECTED)
def test_no_token_is_401_and_a_wrong_one_403(app_dataset, anonymous, method, path):
    body = {"view": {"dataset": "photos"}} if method != "GET" else None
    response = anonymous.request(method, path, json=body)
    assert response.status_code == 401 and "token" in response.json()["detail"]
    assert response.headers["www-authenticate"].startswith("Bearer")
    wrong = anonymous.request(method, path, json=body, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    anonymous.cookies.set(cookie_name(80), "not-the-token")
    assert anonymous.request(method, path, json=body).status_code == 403


def test_media_needs_the_token_too(app_dataset, anonymous):
    sample_id = app_dataset.first().id
    for path in (f"/media/photos/{sample_id}", f"/thumbnails/photos/{sample_id}"):
        assert anonymous.get(path).status_code == 401
        assert anonymous.get(path, params={"token": "wrong-token-123"}).status_code == 403
        assert anonymous.get(path, params={"token": TOKEN}).status_code == 200  # a framed page's images


def test_the_page_without_a_token_says_how_to_open_it(anonymous):
    response = anonymous.get("/")
    assert response.status_code == 401 and response.headers["content-type"].startswith("text/html")
    assert "?token=" in response.text
    assert anonymous.get("/static/app.js").status_code == 200  # the page's code is public; no data is


def test_the_token_url_sets_an_httponly_strict_cookie_that_then_suffices_for_reads(app_dataset, anonymous):
    response = anonymous.get("/", params={"token": TOKEN})
    assert response.status_code == 200 and "/static/app.js" in response.text
    cookie = response.headers["set-cookie"]
    assert f"{cookie_name(80)}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert anonymous.get("/api/datasets").json() == {"datasets": ["photos"]}


def test_writes_need_the_page_header_or_a_bearer_token_and_the_apps_own_origin(app_dataset, anonymous):
    anonymous.get("/", params={"token": TOKEN})  # the browser now holds the cookie
    put = {"dataset": "photos", "stages": [], "filters": {}}
    assert anonymous.put("/api/session", json=put).status_code == 403  # a cookie alone: a cross-site form
    assert anonymous.post("/api/jobs/1/cancel").status_code == 403
    page = {"X-Bakeoff-Request": "1"}
    assert anonymous.put("/api/session", json=put, headers=page).status_code == 200
    evil = {**page, "Origin": "http://evil.example"}
    response = anonymous.put("/api/session", json=put, headers=evil)
    assert response.status_code == 403 and "evil.example" in response.json()["detail"]
    same = {**page, "Origin": "http://testserver"}
    assert anonymous.put("/api/session", json=put, headers=same).status_code == 200


def test_cross_site_simple_requests_change_nothing(app_dataset, client):
    # what an HTML form or fetch(no-cors) on another site can send: text/plain, a foreign Origin, no header
    before = client.get("/api/session").json()["version"]
    body = '{"dataset": "photos", "stages": [], "filters": {}}'
    for headers in ({"Content-Type": "text/plain", "Origin": "http://evil.example"},
                    {"Content-Type": "application/x-www-form-urlencoded"}, {"Content-Type": "text/plain"}):
        response = client.put("/api/session", content=body, headers={**headers, "Authorization": ""})
        assert response.status_code in (401, 403, 415), headers
    assert client.put("/api/session", content=body, headers={"Content-Type": "text/plain"}).status_code == 415
    assert client.get("/api/session").json()["version"] == before


def test_bodies_over_the_limit_are_413(app_dataset, client):
    big = {"view": {"dataset": "photos", "stages": [{"_cls": "Limit", "kwargs": {"limit": 1}}]},
           "padding": "x" * (MAX_BODY_BYTES + 10)}
    response = client.post("/api/samples", json=big)
    assert response.status_code == 413 and str(MAX_BODY_BYTES) in response.json()["detail"]

    def chunks():  # no Content-Length: counted while it arrives
        for _ in range(MAX_BODY_BYTES // 65536 + 2):
            yield b"x" * 65536
    assert client.post("/api/samples", content=chunks(),
                       headers={"Content-Type": "application/json"}).status_code == 413


def test_headers_keep_other_sites_from_framing_or_embedding(app_dataset, client):
    response = client.get("/")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'self' http://localhost:* http://127.0.0.1:*" in csp
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    for name, value in (("x-content-type-options", "nosniff"), ("referrer-policy", "no-referrer"),
                        ("cross-origin-resource-policy", "same-origin")):
        assert response.headers[name] == value
    media = client.get(f"/media/photos/{app_dataset.first().id}")
    assert media.headers["cross-origin-resource-policy"] == "same-origin"
    assert client.get("/api/nothing-here").headers["content-security-policy"] == csp


def test_docs_are_off_and_the_schema_documents_the_refusals(client):
    assert client.get("/docs").status_code == 404 and client.get("/redoc").status_code == 404
    schema = client.get("/openapi.json").json()
    answers = schema["paths"]["/api/samples"]["post"]["responses"]
    assert {"401", "403", "413", "415", "422"} <= set(answers)
    assert "cdn" not in client.get("/").text.lower()


def test_token_rules():
    assert len(make_token()) >= 32 and make_token() != make_token()
    assert make_token("a-fixed-token-for-my-scripts") == "a-fixed-token-for-my-scripts"
    for bad in ("", "short", "has space in it", "semi;colon-token", "x" * 300, "tök€n-with-unicode"):
        with pytest.raises(AppTokenError, match="8 to 256 characters"):
            make_token(bad)
    assert issubclass(AppTokenError, ValueError)


def test_launch_app_takes_its_token_from_the_environment(monkeypatch, caplog):
    import urllib.error
    import urllib.request

    monkeypatch.setenv("BAKEOFF_APP_TOKEN", "from-the-environment-0123")
    with fo.launch_app(port=0, auto=False) as session:
        assert session.token == "from-the-environment-0123"
        request = urllib.request.Request(session.base_url + "api/health", headers=session.headers)
        assert urllib.request.urlopen(request, timeout=10).status == 200
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(session.base_url + "api/health", timeout=10)
        assert error.value.code == 401
    with caplog.at_level(logging.WARNING, logger="bakeoff.app.security"):
        with fo.launch_app(port=0, auto=False, token="only-12chars") as session:
            assert session.token == "only-12chars"
    assert "only 12 characters" in caplog.text


def test_huge_names_get_a_short_answer_without_suggestions(app_dataset, client):
    name = "n" * 200_000
    response = client.post("/api/samples", json={"view": {"dataset": "photos", "stages": [
        {"_cls": "SelectFields", "kwargs": {"field_names": [name]}}]}})
    assert response.status_code in (400, 422) and len(response.text) < 2_000
    assert suggest(name, ["n" * 10]) == "" and len(brief(name)) < 200


def test_a_database_password_never_reaches_a_message(monkeypatch):
    from bakeoff._config import config

    monkeypatch.setattr(config, "_database_uri", "postgresql://me:s3cret-pw@127.0.0.1:1/none")
    assert "s3cret-pw" not in repr(config) and "me:***@127.0.0.1" in config.database_display
