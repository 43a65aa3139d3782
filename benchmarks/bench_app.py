"""App benchmark: start-up, first grid page and filter changes on 100,000 samples.

    python benchmarks/bench_app.py                 # 100,000 samples; FiftyOne's launch_app too if installed
    python benchmarks/bench_app.py -n 1000000 --no-fiftyone

Goals (issue 8): launch_app to the first HTTP 200 at most 1 s (FiftyOne: 4.6 s
here); the first grid page of 100,000 samples with 6 label fields at most 150 ms
of server time; a filter change at most 200 ms. Server time is the App's own
``Server-Timing`` header; round trip adds the loopback HTTP. Medians of
``--repeats`` requests.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from comparison import add_fiftyone_arguments  # noqa: E402
from comparison import systems as find_systems  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PHOTOS = ROOT.parent / "shared" / "data" / "caltech101-subset" / "101_ObjectCategories"

STARTUP = r"""
import socket, sys, time, urllib.request
t0 = time.perf_counter()
system = sys.argv[1]
if system == "bakeoff":
    import bakeoff as fo
    session = fo.launch_app(port=0, auto=False)
    url = session.url
else:
    import fiftyone as fo
    sock = socket.socket(); sock.bind(("127.0.0.1", 0)); port = sock.getsockname()[1]; sock.close()
    session = fo.launch_app(port=port, auto=False)
    url = f"http://127.0.0.1:{port}/"
imported = time.perf_counter() - t0
while True:
    try:
        if urllib.request.urlopen(url, timeout=5).status == 200:
            break
    except OSError:
        time.sleep(0.02)
print(f"{time.perf_counter() - t0:.4f} {imported:.4f}")
"""


def startup(python: str, system: str, home: str) -> tuple[float, float]:
    env = {**os.environ, "BAKEOFF_HOME": home, "FIFTYONE_DO_NOT_TRACK": "true",
           "FIFTYONE_DATABASE_DIR": os.path.join(home, "fo-db")}
    out = subprocess.run([python, "-c", STARTUP, system], capture_output=True, text=True, env=env, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"{system} launch_app failed:\n{out.stderr[-2000:]}")
    total, imported = map(float, out.stdout.split()[-2:])
    return total, imported


def build(n: int):
    import bakeoff as fo

    models = [f"m{k}" for k in range(6)]
    rng = random.Random(0)
    photos = sorted(str(p) for p in PHOTOS.glob("*/*.jpg")) or ["/data/missing.jpg"]
    samples = []
    for i in range(n):
        fields = {"ground_truth": fo.Classification(label=f"c{i % 257}")}
        for m in models:
            fields[m] = fo.Classification(label=f"c{rng.randrange(257)}", confidence=rng.random())
            if rng.random() < 0.9:
                fields[f"{m}_eval"] = rng.random() < 0.7
        samples.append(fo.Sample(filepath=photos[i % len(photos)], **fields))
    dataset = fo.Dataset("app-bench")
    dataset.add_samples(samples)
    return dataset


def request(url: str, body: dict | None = None) -> tuple[float, float, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    t = time.perf_counter()
    with urllib.request.urlopen(req, timeout=60) as response:
        payload = response.read()
        timing = response.headers.get("Server-Timing", "app;dur=nan")
    return float(timing.split("dur=")[1]) / 1000, time.perf_counter() - t, payload


def timed(url: str, body: dict | None, repeats: int) -> tuple[float, float]:
    runs = [request(url, body)[:2] for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--num-samples", type=int, default=100_000)
    parser.add_argument("-r", "--repeats", type=int, default=7)
    add_fiftyone_arguments(parser)
    args = parser.parse_args()
    systems = find_systems(args)
    rows = []
    with tempfile.TemporaryDirectory() as home:
        os.environ["BAKEOFF_HOME"] = home
        starts = {s: startup(p, s, home) for s, p in systems.items()}
        import bakeoff as fo

        fo.config.show_progress_bars = False
        dataset = build(args.num_samples)
        session = fo.launch_app(dataset, port=0, auto=False)
        api = session.url + "api/"
        view = {"dataset": dataset.name}
        filtered = {"dataset": dataset.name, "filters": {"booleans": {"m0_eval": [False], "m1_eval": [True]}}}
        labels = {"dataset": dataset.name, "filters": {"labels": {"m2": ["c7", "c8"]}, "confidence": {"m2": [0.5, None]}}}
        request(api + "samples", {"view": view})  # warm the dataset object
        rows.append(("first grid page (60 tiles + count)", *timed(api + "samples", {"view": view}, args.repeats), 0.150))
        rows.append(("filter change: 2 eval fields", *timed(api + "samples", {"view": filtered}, args.repeats), 0.200))
        rows.append(("filter change: labels + confidence", *timed(api + "samples", {"view": labels}, args.repeats),
                     0.200))
        rows.append(("page at offset 99,960", *timed(api + "samples", {"view": view, "offset": args.num_samples - 40},
                                                      args.repeats), None))
        rows.append(("sidebar counts (13 fields + 6 bounds)", *timed(api + "counts", {"view": filtered}, args.repeats),
                     None))
        first = json.loads(request(api + "samples", {"view": view})[2])["samples"]
        cold = sum(request(session.url + f"thumbnails/{dataset.name}/{s['id']}")[1] for s in first)
        warm = sum(request(session.url + f"thumbnails/{dataset.name}/{s['id']}")[1] for s in first)
        session.close()

    print(f"{'launch_app -> first HTTP 200':<40}" + "".join(f"{s:>12}" for s in systems) + f"{'goal':>10}")
    print("-" * 74)
    print(f"{'  total (import + start + request)':<40}" + "".join(f"{starts[s][0]:>10.2f} s" for s in systems)
          + f"{'1 s':>10}")
    print(f"{'  of which import + launch_app()':<40}" + "".join(f"{starts[s][1]:>10.2f} s" for s in systems))
    if "fiftyone" in starts:
        print(f"{'  speed-up':<40}{starts['fiftyone'][0] / starts['bakeoff'][0]:>21.1f}x")
    print(f"\n{format(args.num_samples, ',') + ' samples, 6 label fields':<40}{'server':>10}{'round trip':>12}"
          f"{'goal':>10}")
    print("-" * 72)
    for name, server, trip, goal in rows:
        print(f"{name:<40}{server * 1000:>7.1f} ms{trip * 1000:>9.1f} ms" + (f"{goal * 1000:>7.0f} ms" if goal else ""))
    print(f"{'60 thumbnails of real photos, cold/warm':<40}{cold * 1000:>7.0f} ms{warm * 1000:>9.0f} ms")
    print(f"\nmedians of {args.repeats} requests")


if __name__ == "__main__":
    main()
