"""The two worker processes (FiftyOne's interpreter and bakeoff's), one case at a time each."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORKER = HERE / "worker.py"
CASE_TIMEOUT_S = 120
START_TIMEOUT_S = 180


class WorkerDied(RuntimeError):
    pass


class Worker:
    """``python worker.py <system>`` kept running; restarted after a crash or a timeout."""

    def __init__(self, system: str, python: str, env: dict[str, str], log_dir: str) -> None:
        self.system, self.python, self.env = system, python, env
        self.log_path = Path(log_dir) / f"{system}.log"
        self.proc: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()
        self.shims: list[str] = []
        self.features: dict[str, bool] = {}
        self.next_id = 0

    def start(self) -> None:
        log = open(self.log_path, "a")  # noqa: SIM115 -- the child writes to it for its whole life
        self.proc = subprocess.Popen([self.python, str(WORKER), self.system], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=log, text=True, env=self.env, cwd=ROOT,
                                     bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()
        ready = self._line(START_TIMEOUT_S)
        self.shims = ready.get("shims", [])
        self.features = ready.get("features", {})

    @staticmethod
    def _read(proc: subprocess.Popen, lines: queue.Queue) -> None:
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def _line(self, timeout: float) -> dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            raise WorkerDied(f"{self.system} worker timed out after {timeout:.0f} s") from None
        if line is None:
            self.stop()
            raise WorkerDied(f"{self.system} worker exited; its log: {self.log_tail()}")
        return json.loads(line)

    def log_tail(self) -> str:
        try:
            return self.log_path.read_text()[-1500:]
        except OSError:
            return ""

    def send(self, case: dict[str, Any]) -> int:
        if self.proc is None:
            self.start()
        self.next_id += 1
        self.proc.stdin.write(json.dumps({"id": self.next_id, "case": case}) + "\n")
        self.proc.stdin.flush()
        return self.next_id

    def receive(self, message_id: int) -> dict[str, Any]:
        while True:
            reply = self._line(CASE_TIMEOUT_S)
            if reply.get("id") == message_id:
                return reply["result"]

    def stop(self) -> None:
        if self.proc is not None:
            proc, self.proc = self.proc, None
            try:
                proc.stdin.close()
            except OSError:
                pass
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class Pair:
    """FiftyOne's worker and bakeoff's, run on each case side by side (one core each)."""

    def __init__(self, fiftyone_python: str, bakeoff_python: str, database: str) -> None:
        self.tmp = tempfile.mkdtemp(prefix="differential-")
        base = {**os.environ, "FIFTYONE_DO_NOT_TRACK": "true", "FIFTYONE_SHOW_PROGRESS_BARS": "false",
                "BAKEOFF_SHOW_PROGRESS_BARS": "0", "PYTHONHASHSEED": "0"}
        fo_env = {**base, "FIFTYONE_DATABASE_DIR": os.path.join(self.tmp, "fo-db")}
        bo_env = {**base, "BAKEOFF_HOME": os.path.join(self.tmp, "bakeoff-home")}
        bo_env.pop("BAKEOFF_DATABASE_URI", None)
        if database != "sqlite":
            bo_env["BAKEOFF_DATABASE_URI"] = database
        self.fiftyone = Worker("fiftyone", fiftyone_python, fo_env, self.tmp)
        self.bakeoff = Worker("bakeoff", bakeoff_python, bo_env, self.tmp)

    def unsupported(self, needs: set[str]) -> list[str]:
        """The features a case needs that bakeoff's worker said, at start, it lacks."""
        if self.bakeoff.proc is None:
            self.bakeoff.start()
        return sorted(n for n in needs if not self.bakeoff.features.get(n, True))

    def run(self, case: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        """Both answers, computed at once; a worker that dies or hangs answers ``{"crash": ...}``."""
        answers, sent = {}, {}
        for worker in (self.bakeoff, self.fiftyone):
            try:
                sent[worker.system] = worker.send(case)
            except (WorkerDied, OSError) as exc:
                answers[worker.system] = {"crash": {"$error": "WorkerDied", "message": str(exc)[-1500:]}}
        for system, message_id in sent.items():
            answers[system] = self._receive(getattr(self, system), message_id)
        return answers["fiftyone"], answers["bakeoff"]

    @staticmethod
    def _receive(worker: Worker, message_id: int) -> dict[str, Any]:
        try:
            return worker.receive(message_id)
        except (WorkerDied, OSError) as exc:
            return {"crash": {"$error": "WorkerDied", "message": str(exc)[-1500:]}}

    def close(self) -> None:
        self.bakeoff.stop()
        self.fiftyone.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)
