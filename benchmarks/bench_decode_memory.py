"""Peak memory of decoding one large 16-bit PNG vs its 8-bit equivalent.

    python benchmarks/bench_decode_memory.py              # 12,000 x 12,000 pixels (about 30 s on 2 cores)
    python benchmarks/bench_decode_memory.py --size 4000  # quicker

Writes a 16-bit greyscale PNG (a smooth gradient, a few hundred KB) and the
8-bit PNG of the same pixels, then decodes each in a fresh Python process and
reads that process's peak RSS (``ru_maxrss``) and time:

- ``load_image`` as apply_model calls it (``draft_size=512``);
- ``load_image(draft_size=None)``: the full-size RGB image;
- the decoder before the byte budget (a float64 copy of the whole image and an
  EXIF copy), its code copied here as the reference.

Goal: the 16-bit peak is at most the 8-bit peak for each way of decoding.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")  # Pillow's DecompressionBombWarning above 89M pixels
sys.path.insert(0, {root!r})
import numpy as np
from PIL import Image, ImageOps
from bakeoff.media.decode import load_image

def previous(path):
    with Image.open(path) as image:
        image.load()
        image = ImageOps.exif_transpose(image)
        if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
            array = np.asarray(image, dtype=np.float64)
            top = 65535.0 if image.mode.startswith("I;16") or array.max(initial=0) > 255 else 255.0
            array = array / top * 255.0
            return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8)).convert("RGB")
        return image.convert("RGB")

path, way = sys.argv[1], sys.argv[2]
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
if way == "apply_model":
    image = load_image(path)
elif way == "full size":
    image = load_image(path, draft_size=None)
else:
    image = previous(path)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"peak": peak / 1024, "base": base / 1024, "seconds": seconds, "size": list(image.size)}}))
"""

WAYS = ("apply_model", "full size", "previous decoder")


WRITE = r"""
import sys
import numpy as np
from PIL import Image
size, deep_path, shallow_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ramp = np.linspace(0, 65535, size, dtype=np.float64)
deep = (ramp[None, :] * 0.7 + ramp[:, None] * 0.3).astype(np.uint16)
Image.fromarray(deep).save(deep_path)
Image.fromarray((deep >> 8).astype(np.uint8)).save(shallow_path)
"""


def write_images(folder: Path, size: int) -> dict[str, Path]:
    """The two PNGs, written by another process: a child's ``ru_maxrss`` starts at its parent's RSS on Linux."""
    paths = {"16-bit": folder / "deep.png", "8-bit": folder / "shallow.png"}
    subprocess.run([sys.executable, "-c", WRITE, str(size), str(paths["16-bit"]), str(paths["8-bit"])], check=True)
    return paths


def measure(path: Path, way: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT)), str(path), way],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=12_000, help="side of the square test images (pixels)")
    args = parser.parse_args()
    from bakeoff.media.decode import DEFAULT_MAX_DECODED_BYTES, estimate_decoded_bytes

    with tempfile.TemporaryDirectory() as tmp:
        paths = write_images(Path(tmp), args.size)
        print(f"{args.size:,} x {args.size:,} greyscale PNGs: 16-bit {paths['16-bit'].stat().st_size / 1024:,.0f} KB, "
              f"8-bit {paths['8-bit'].stat().st_size / 1024:,.0f} KB; byte budget "
              f"{DEFAULT_MAX_DECODED_BYTES / 2**30:.0f} GiB, full-size estimate 16-bit "
              f"{estimate_decoded_bytes('I;16', (args.size, args.size)) / 2**20:,.0f} MiB, 8-bit "
              f"{estimate_decoded_bytes('L', (args.size, args.size)) / 2**20:,.0f} MiB\n")
        print(f"{'decoding':<18}{'image':<8}{'peak RSS MiB':>14}{'above start':>13}{'seconds':>9}  output")
        print("-" * 80)
        results: dict[tuple[str, str], dict] = {}
        for way in WAYS:
            for kind, path in paths.items():
                result = results[way, kind] = measure(path, way)
                if "error" in result:
                    print(f"{way:<18}{kind:<8}  failed: {result['error']}")
                    continue
                print(f"{way:<18}{kind:<8}{result['peak']:>14,.0f}{result['peak'] - result['base']:>13,.0f}"
                      f"{result['seconds']:>9.2f}  {result['size'][0]}x{result['size'][1]} RGB")
        print("\ngoal: 16-bit peak <= 8-bit peak")
        for way in WAYS:
            deep, shallow = results[way, "16-bit"], results[way, "8-bit"]
            if "error" in deep or "error" in shallow:
                continue
            verdict = "met" if deep["peak"] <= shallow["peak"] + 2 else "NOT met"  # ru_maxrss is page-granular
            print(f"    {way:<18} 16-bit {deep['peak']:,.0f} MiB vs 8-bit {shallow['peak']:,.0f} MiB "
                  f"({deep['peak'] / shallow['peak']:.2f}x): {verdict}")


if __name__ == "__main__":
    main()
