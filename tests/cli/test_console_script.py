"""The real entry point in a fresh process: exit codes, stdout and stderr as a shell sees them."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_cli_runs_as_a_console_script(image_tree, bakeoff_home):
    env = {**os.environ, "BAKEOFF_HOME": str(bakeoff_home), "BAKEOFF_SHOW_PROGRESS_BARS": "0"}
    env.pop("BAKEOFF_DEBUG", None)

    def bakeoff(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "bakeoff.cli.main", *args], capture_output=True, text=True,
                              env=env, check=False)

    made = bakeoff("datasets", "create", "pets", "--from-dir", str(image_tree), "--persistent")
    assert made.returncode == 0, made.stderr
    assert "3 classes, 13 images, 1 unreadable" in made.stdout
    assert json.loads(bakeoff("datasets", "list", "--json").stdout) == ["pets"]
    missing = bakeoff("datasets", "info", "pest")
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.startswith("error: no dataset named 'pest'. Did you mean 'pets'?")
    assert len(missing.stderr.strip().splitlines()) == 1
    usage = bakeoff("apply", "pets", "--field", "x", "--classes", "a")
    assert usage.returncode == 2 and usage.stderr.strip().splitlines() == [
        "error: Missing option '--model'. (see 'bakeoff apply --help')"]
