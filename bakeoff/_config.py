"""bakeoff's settings: where its files live and defaults for long-running work.

``bakeoff.config`` is one :class:`Config` object, read from the environment at
import and changeable at run time::

    import bakeoff as fo
    fo.config.default_batch_size = 32
    fo.config.home = "/data/bakeoff"        # moves the database and zoo folders

Environment variables: ``BAKEOFF_HOME`` (default ``~/.bakeoff``),
``BAKEOFF_DATABASE_URI`` (default: a SQLite file in the home folder),
``BAKEOFF_DATASET_ZOO_DIR``, ``BAKEOFF_MODEL_ZOO_DIR``,
``BAKEOFF_DEFAULT_BATCH_SIZE``, ``BAKEOFF_SHOW_PROGRESS_BARS``, ``BAKEOFF_BACKEND`` (``local`` or ``ray``),
``BAKEOFF_APP_MODEL_DIRS`` (folders the App may load models from, separated by ``os.pathsep``),
``BAKEOFF_TIMEZONE`` (how datetimes read back, as FiftyOne's ``FIFTYONE_TIMEZONE``: see :attr:`Config.timezone`).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, tzinfo
from pathlib import Path


def display_uri(uri: str) -> str:
    """A database URI with its password masked, for messages that may reach other people (the App, logs)."""
    import re

    return re.sub(r"^([a-z0-9+.-]+://[^:/@]*:)[^@]*@", r"\1***@", uri, flags=re.IGNORECASE)


def resolve_timezone(name: str) -> tzinfo:
    """The zone a ``config.timezone`` value names: ``"local"`` (this machine's current offset, as
    FiftyOne), ``"UTC"`` in any case, or an IANA name such as ``"US/Eastern"``."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from bakeoff.errors import UnknownTimezoneError

    if name.lower() == "local":
        return datetime.now().astimezone().tzinfo  # type: ignore[return-value]
    if name.lower() == "utc":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UnknownTimezoneError(
            f"unknown time zone {name!r} in config.timezone / BAKEOFF_TIMEZONE; use an IANA name such as "
            "'US/Eastern' or 'Europe/Paris', 'UTC', 'local', or None for naive UTC datetimes"
        ) from None


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() not in ("0", "false", "no", "off", "")


def _env_int(name: str) -> int | None:
    from bakeoff.errors import InvalidOptionError

    value = os.environ.get(name)
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise InvalidOptionError(f"{name}={value!r} is not an integer; set it to e.g. 32 or unset it") from None


class Config:
    """Settings; paths that are not set explicitly derive from ``home``."""

    def __init__(self) -> None:
        self.home = os.environ.get("BAKEOFF_HOME") or "~/.bakeoff"
        self._database_uri: str | None = os.environ.get("BAKEOFF_DATABASE_URI")
        self._dataset_zoo_dir: str | None = os.environ.get("BAKEOFF_DATASET_ZOO_DIR")
        self._model_zoo_dir: str | None = os.environ.get("BAKEOFF_MODEL_ZOO_DIR")
        self.default_batch_size: int | None = _env_int("BAKEOFF_DEFAULT_BATCH_SIZE")
        self.show_progress_bars: bool = _env_bool("BAKEOFF_SHOW_PROGRESS_BARS", True)
        #: where apply_model runs: "local" (threads in this process) or "ray" (Ray Data; RAY_ADDRESS or a local Ray)
        self.backend: str = os.environ.get("BAKEOFF_BACKEND") or "local"
        dirs = os.environ.get("BAKEOFF_APP_MODEL_DIRS")
        self._app_model_dirs: list[str] | None = [d for d in dirs.split(os.pathsep) if d] if dirs else None
        # checked when first used, not here: a typo in the environment must not break ``import bakeoff``
        self._timezone: str | None = os.environ.get("BAKEOFF_TIMEZONE") or None

    @property
    def home(self) -> Path:
        return self._home

    @home.setter
    def home(self, value: str | os.PathLike) -> None:
        self._home = Path(value).expanduser().absolute()

    @property
    def database_uri(self) -> str:
        """SQLAlchemy URI of the database; a SQLite file under ``home`` by default."""
        if self._database_uri:
            return self._database_uri
        return f"sqlite:///{self.home / 'bakeoff.db'}"

    @database_uri.setter
    def database_uri(self, value: str | None) -> None:
        self._database_uri = value or None

    @property
    def database_display(self) -> str:
        """:attr:`database_uri` for messages and logs: a password in it shows as ``***``.

        Example::

            >>> c = Config(); c.database_uri = "postgresql://me:s3cret@db:5432/bakeoff"
            >>> c.database_display
            'postgresql://me:***@db:5432/bakeoff'
        """
        return display_uri(self.database_uri)

    @property
    def dataset_zoo_dir(self) -> Path:
        """Where zoo datasets are downloaded to (and looked for offline)."""
        return Path(self._dataset_zoo_dir).expanduser() if self._dataset_zoo_dir else self.home / "zoo"

    @dataset_zoo_dir.setter
    def dataset_zoo_dir(self, value: str | os.PathLike | None) -> None:
        self._dataset_zoo_dir = str(value) if value else None

    @property
    def model_zoo_dir(self) -> Path:
        """Where zoo model weights are looked for before any download."""
        return Path(self._model_zoo_dir).expanduser() if self._model_zoo_dir else self.home / "models"

    @model_zoo_dir.setter
    def model_zoo_dir(self, value: str | os.PathLike | None) -> None:
        self._model_zoo_dir = str(value) if value else None

    @property
    def app_model_dirs(self) -> list[Path]:
        """Folders the App's jobs may load model files from (besides zoo names and Hub ids).

        Default: the model zoo folder and the Hugging Face cache, where downloads land.
        A model folder can be planted by anyone who can write to a folder; the App
        may be asked to load one by anyone who can reach it, so it keeps to these.
        Python and the CLI load from any path you give them.
        """
        if self._app_model_dirs is not None:
            return [Path(d).expanduser() for d in self._app_model_dirs]
        try:
            from huggingface_hub.constants import HF_HUB_CACHE
        except ImportError:  # pragma: no cover - comes with transformers and open_clip
            return [self.model_zoo_dir]
        return [self.model_zoo_dir, Path(HF_HUB_CACHE).expanduser()]

    @app_model_dirs.setter
    def app_model_dirs(self, value: list[str | os.PathLike] | None) -> None:
        self._app_model_dirs = [str(v) for v in value] if value is not None else None

    @property
    def timezone(self) -> str | None:
        """The time zone datetimes read back in, as FiftyOne's ``fo.config.timezone``.

        ``None`` (the default): naive datetimes in UTC. A zone name (``"US/Eastern"``,
        ``"UTC"``) or ``"local"`` (this machine's current UTC offset): aware datetimes in that
        zone. Either way the database holds UTC instants; naive datetimes given to bakeoff
        are taken to be UTC. Example::

            fo.config.timezone = "US/Eastern"
            dataset.first().created_at    # datetime(..., tzinfo=ZoneInfo('US/Eastern'))
        """
        return self._timezone

    @timezone.setter
    def timezone(self, value: str | None) -> None:
        value = value or None
        if value is not None:
            resolve_timezone(value)  # a bad name fails here, where it was set
        self._timezone = value

    def tzinfo(self) -> tzinfo | None:
        """The :class:`datetime.tzinfo` of :attr:`timezone` (None: read naive UTC datetimes)."""
        return resolve_timezone(self._timezone) if self._timezone else None

    def __repr__(self) -> str:
        keys = ("home", "database_display", "dataset_zoo_dir", "model_zoo_dir",
                "default_batch_size", "show_progress_bars", "backend", "app_model_dirs", "timezone")
        body = ",\n".join(f"    {k}={getattr(self, k)!r}" for k in keys)
        return f"Config(\n{body}\n)"


config = Config()
