"""launch_app: a real server on a thread, the Session's view both ways, binding and Host checks."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import bakeoff as fo
from bakeoff import ViewField as F


def _get(url: str, host: str | None = None, headers: dict | None = None):
    request = urllib.request.Request(url, headers={**(headers or {}), **({"Host": host} if host else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _put(url: str, body: dict, headers: dict):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="PUT",
                                     headers={"Content-Type": "application/json", **headers})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_the_session_serves_the_view_and_follows_both_sides(app_dataset):
    wrong = app_dataset.match(F("clip_eval") == False)  # noqa: E712
    with fo.launch_app(wrong, port=0, auto=False) as session:
        assert session.url.startswith("http://127.0.0.1:") and session.running
        assert session.url == f"{session.base_url}?token={session.token}" and session.token not in repr(session)
        status, page = _get(session.url)
        assert status == 200 and b"/static/app.js" in page
        api = session.base_url + "api/session"
        shown = json.loads(_get(api, headers=session.headers)[1])
        assert shown["dataset"] == "photos" and shown["stages"] == wrong.to_dict()["stages"]
        assert session.view == wrong and session.dataset.name == "photos"
        session.view = app_dataset.sort_by("clip.confidence")
        assert json.loads(_get(api, headers=session.headers)[1])["version"] == shown["version"] + 1
        # the page narrows the view with a sidebar filter: Python sees it
        _put(api, {"dataset": "photos", "stages": [], "filters": {"booleans": {"siglip_eval": [True]}}},
             session.headers)
        assert session.view.count() == app_dataset.match(F("siglip_eval") == True).count()  # noqa: E712
    assert not session.running


def test_a_non_persistent_dataset_of_this_process_is_served(tmp_path, make_image):
    dataset = fo.Dataset()
    dataset.add_sample(fo.Sample(filepath=str(make_image(tmp_path / "x.jpg"))))
    with fo.launch_app(dataset, port=0, auto=False) as session:
        page = json.loads(urllib.request.urlopen(urllib.request.Request(
            session.base_url + "api/samples", data=json.dumps({"view": {"dataset": dataset.name}}).encode(),
            headers={"Content-Type": "application/json", **session.headers}), timeout=10).read())
        assert page["count"] == 1


def test_other_host_names_are_refused_on_loopback(app_dataset):
    with fo.launch_app(port=0, auto=False) as session:
        health = session.base_url + "api/health"
        assert _get(health, headers=session.headers)[0] == 200
        assert _get(health, host=f"localhost:{session.port}", headers=session.headers)[0] == 200
        assert _get(session.base_url + "api/datasets", host="attacker.example", headers=session.headers)[0] == 400


def test_a_non_loopback_address_warns(caplog):
    with caplog.at_level(logging.WARNING, logger="bakeoff.app.session"):
        with fo.launch_app(port=0, address="0.0.0.0", auto=False) as session:
            assert _get(f"http://127.0.0.1:{session.port}/api/health", headers=session.headers)[0] == 200
            assert _get(f"http://127.0.0.1:{session.port}/api/health")[0] == 401
    assert "token travels unencrypted" in caplog.text


def test_a_busy_port_is_a_clear_error():
    with fo.launch_app(port=0, auto=False) as session:
        with pytest.raises(fo.BakeoffError, match=rf"{session.port}.*port=0"):
            fo.launch_app(port=session.port, auto=False)


def test_auto_opens_a_browser_and_remote_prints_a_tunnel(monkeypatch, caplog):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url))
    with fo.launch_app(port=0) as session:
        # the browser's command line (readable by every user) gets a private file, not the token
        assert len(opened) == 1 and opened[0].startswith("file://") and session.token not in opened[0]
        forward = Path(urllib.request.url2pathname(opened[0].removeprefix("file://")))
        assert session.url in forward.read_text() and forward.stat().st_mode & 0o077 == 0
    with caplog.at_level(logging.WARNING, logger="bakeoff.app.session"):
        with fo.launch_app(port=0, remote=True) as session:
            assert f"ssh -N -L {session.port}:127.0.0.1:{session.port}" in caplog.text
    assert len(opened) == 1


def test_wait_returns_after_a_timeout_and_when_closed():
    session = fo.launch_app(port=0, auto=False)
    session.wait(timeout=0.2)
    assert session.running
    session.close()
    session.wait()
    assert not session.running


def test_the_bakeoff_app_command_serves_until_interrupted(app_dataset, bakeoff_home):
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    command = [str(Path(sys.executable).parent / "bakeoff"), "app", "photos", "--port", "0", "--no-open"]
    env = {**os.environ, "BAKEOFF_HOME": str(bakeoff_home)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = process.stdout.readline()
        assert line.startswith("App: http://127.0.0.1:"), (line, process.stderr.read() if process.poll() else "")
        url = line.split()[1]
        base, _, token = url.partition("?token=")
        assert len(token) >= 32 and _get(base + "api/session")[0] == 401
        shown = json.loads(_get(base + "api/session", headers={"Authorization": f"Bearer {token}"})[1])
        assert shown["dataset"] == "photos"
        process.send_signal(signal.SIGINT)
        assert process.wait(20) in (0, 130)
    finally:
        process.kill()
