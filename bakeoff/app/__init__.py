"""The App: browse, filter, compare and run zero-shot models in the browser.

``launch_app`` serves it from a thread of the calling process; ``create_app``
returns the ASGI application for other servers and for tests.
"""

from bakeoff.app.session import Session, launch_app

__all__ = ["Session", "launch_app"]
