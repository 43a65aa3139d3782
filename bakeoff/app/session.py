"""``launch_app``: serve the App from a background thread of this process.

Example::

    session = fo.launch_app(dataset.match(F("clip_eval") == False), auto=False)
    session.url                      # 'http://127.0.0.1:5151/?token=...' (open it once: the browser keeps it)
    session.view = dataset.sort_by("clip.confidence")   # the page follows
    session.wait()                   # until Ctrl-C (in a script)
"""

from __future__ import annotations

import html
import ipaddress
import logging
import os
import socket
import threading
import time
import webbrowser
from pathlib import Path
from typing import Any, Self

from bakeoff._config import config
from bakeoff.app.state import AppState
from bakeoff.app.views import Filters, build_view, stages_of
from bakeoff.core.collection import SampleCollection
from bakeoff.core.dataset import Dataset
from bakeoff.errors import BakeoffError

logger = logging.getLogger(__name__)

_LOCAL_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]


class Session:
    """A running App: its ``url``, the ``dataset`` and ``view`` it shows (assign to change the page)."""

    def __init__(self, state: AppState, server: Any, thread: threading.Thread, address: str, port: int,
                 remote: bool, token: str) -> None:
        self._state, self._server, self._thread = state, server, thread
        self.address, self.port, self.remote = address, port, remote
        self.token = token

    @property
    def base_url(self) -> str:
        """The App's address without the token (for API calls that send :attr:`headers`)."""
        host = "127.0.0.1" if self.address in ("0.0.0.0", "::") else self.address
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/"

    @property
    def url(self) -> str:
        """The address to open: it carries the token once, the page keeps it in an HttpOnly cookie."""
        return f"{self.base_url}?token={self.token}"

    @property
    def headers(self) -> dict[str, str]:
        """What a script sends to the API: ``requests.get(session.base_url + "api/datasets", headers=session.headers)``."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def dataset(self) -> Dataset | None:
        name = self._state.session["dataset"]
        return self._state.dataset(name) if name else None

    @dataset.setter
    def dataset(self, dataset: Dataset | None) -> None:
        self.view = dataset

    @property
    def view(self) -> SampleCollection | None:
        """What the page shows now, including filters set in the page."""
        session = self._state.session
        if not session["dataset"]:
            return None
        return build_view(self._state.dataset(session["dataset"]), session["stages"], Filters(**session["filters"]))

    @view.setter
    def view(self, view: SampleCollection | None) -> None:
        if view is None:
            self._state.set_session(None, [], None, source="python")
            return
        root = view if isinstance(view, Dataset) else view.dataset
        self._state.adopt(root)
        self._state.set_session(root.name, stages_of(view), None, source="python")

    def refresh(self) -> None:
        """Make the page reload its data (after writes it could not know about)."""
        session = self._state.session
        self._state.set_session(session["dataset"], session["stages"], session["filters"], source="python")

    def open(self) -> None:
        """Open the App in the default web browser.

        The browser gets a private file that forwards to :attr:`url`: a URL on a
        command line (``xdg-open URL``) can be read by every user of the machine.
        """
        webbrowser.open(_forwarding_file(self.url, self.port).as_uri())

    def show(self, height: int = 800) -> None:
        """Show the App in the notebook cell (an iframe) or, outside a notebook, open the browser."""
        try:
            from IPython import get_ipython
            from IPython.display import IFrame, display
        except ImportError:
            self.open()
            return
        if get_ipython() is None:
            self.open()
            return
        display(IFrame(self.url, width="100%", height=height))

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the server stops (``close()``) or Ctrl-C; ``timeout`` in seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while self._thread.is_alive():
                if deadline is not None and time.monotonic() >= deadline:
                    return
                self._thread.join(0.25)
        except KeyboardInterrupt:
            self.close()

    def close(self) -> None:
        """Stop the server; running jobs stop after their current batch."""
        self._state.close()
        self._server.should_exit = True
        self._thread.join(10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        name = self._state.session["dataset"]
        return f"Session(url={self.base_url!r}, dataset={name!r}, running={self.running})"  # no token in logs


def launch_app(dataset_or_view: SampleCollection | None = None, port: int = 5151, address: str = "127.0.0.1",
               auto: bool = True, remote: bool = False, token: str | None = None) -> Session:
    """Serve the App and return its :class:`Session`; ``port=0`` picks a free port.

    Only whoever has the App's token can use it: a random one per launch, or
    ``token`` / ``BAKEOFF_APP_TOKEN`` for scripts (which send
    ``Authorization: Bearer <token>``, see :attr:`Session.headers`).
    ``session.url`` carries it; the page keeps it in a cookie. The server binds
    ``address`` (loopback unless you say otherwise: the token travels unencrypted
    over plain HTTP, so another address logs a warning). ``auto`` opens the page
    in a browser or, in a notebook, in the cell; ``remote=True`` opens nothing and
    logs how to reach the App through an SSH tunnel.

    Example::

        session = fo.launch_app(dataset, auto=False)
        print(session.url)
    """
    import uvicorn

    from bakeoff.app.media import prune_thumbnails
    from bakeoff.app.security import make_token
    from bakeoff.app.server import create_app

    token = make_token(token)
    threading.Thread(target=prune_thumbnails, name="bakeoff-thumbnail-prune", daemon=True).start()  # off the start path
    state = AppState()
    local = _is_loopback(address)
    if not local:
        logger.warning("the App listens on %s:%s over plain HTTP: its token travels unencrypted, and whoever reads "
                       "it can browse your datasets and run models; use address='127.0.0.1' and an SSH tunnel "
                       "instead", address, port)
    sock = _bind(address, port)
    port = sock.getsockname()[1]
    app = create_app(state, allowed_hosts=_LOCAL_HOSTS if local else None, token=token)
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="bakeoff-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise BakeoffError(f"the App server did not start on {address}:{port}; see the log above")
        time.sleep(0.005)
    session = Session(state, server, thread, address, port, remote, token)
    if dataset_or_view is not None:
        session.view = dataset_or_view
    if remote:
        logger.warning("App running at %s; from your computer: ssh -N -L %d:127.0.0.1:%d <user>@<this machine>, "
                       "then open http://localhost:%d/?token=%s", session.base_url, port, port, port, token)
    elif auto:
        session.show()
    return session


def _forwarding_file(url: str, port: int) -> Path:
    """A page only this user can read that sends the browser on to ``url`` (which carries the token)."""
    folder = config.home / "app"
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    path = folder / f"open-{port}.html"
    target = html.escape(url, quote=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as page:
        page.write(f'<!doctype html><meta http-equiv="refresh" content="0;url={target}">'
                   f'<title>bakeoff</title><p><a href="{target}">Open the bakeoff App</a></p>')
    os.chmod(path, 0o600)  # an older file of that name keeps its mode otherwise
    return path


def _is_loopback(address: str) -> bool:
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _bind(address: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
    except OSError as error:
        sock.close()
        raise BakeoffError(
            f"cannot listen on {address}:{port}: {error.strerror}. Another App (or program) may hold the port: "
            f"close it, or pass port=0 to take any free port"
        ) from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock
