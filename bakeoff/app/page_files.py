"""The page's own files (``/static/``): its HTML, CSS and JavaScript modules, the same for every user.

The page's scripts are ES modules, which a browser runs only when they come as JavaScript
(``X-Content-Type-Options: nosniff`` is on): ``.js`` is served as ``text/javascript`` whatever the
platform's MIME table says (Windows' registry can map it to ``text/plain``). Every file is revalidated
on each load (``no-cache``; the answer is a cheap 304 when unchanged), so a browser never mixes modules
of two bakeoff versions after an upgrade.
"""

from __future__ import annotations

import os

from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

#: the Content-Type of the page's files where the MIME table may differ between platforms
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


class PageFiles(StaticFiles):
    """:class:`StaticFiles` with fixed JavaScript/CSS types and revalidation on every load."""

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope,
                      status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        media_type = MEDIA_TYPES.get(os.path.splitext(os.fspath(full_path))[1].lower())
        if media_type is not None and "content-type" in response.headers:  # not on a 304
            response.headers["content-type"] = media_type
        response.headers["cache-control"] = "no-cache"
        return response
