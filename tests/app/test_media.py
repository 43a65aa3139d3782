"""The media and thumbnail endpoints serve sample images only: no traversal, no symlink escape, no arbitrary path."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image

import bakeoff as fo

SECRET = "top secret: not an image"


@pytest.fixture
def media_dataset(tmp_path, make_image):
    """Two good images, a missing one, a sample that is a symlink to a text file, and a secret beside them."""
    folder = tmp_path / "images"
    make_image(folder / "a.jpg", size=(300, 200), color=(10, 200, 10))
    make_image(folder / "b.png", size=(40, 30), color=(200, 10, 10), fmt="PNG")
    make_image(folder / "c.tif", size=(50, 40), color=(10, 10, 200), fmt="TIFF")
    (tmp_path / "secret.txt").write_text(SECRET)
    os.symlink(tmp_path / "secret.txt", folder / "link.jpg")  # a sample whose file points outside
    os.symlink(tmp_path / "secret.txt", folder / "unlisted.jpg")  # not a sample at all
    dataset = fo.Dataset("media")
    ids = dataset.add_samples([fo.Sample(filepath=str(folder / name))
                               for name in ("a.jpg", "b.png", "c.tif", "gone.jpg", "link.jpg")])
    return dataset, dict(zip(("a", "b", "c", "gone", "link"), ids, strict=True)), folder


def test_originals_are_the_files_and_thumbnails_are_small_cached_jpegs(media_dataset, client, bakeoff_home):
    _dataset, ids, folder = media_dataset
    original = client.get(f"/media/media/{ids['a']}")
    assert original.status_code == 200 and original.headers["content-type"] == "image/jpeg"
    assert original.content == (folder / "a.jpg").read_bytes()
    assert original.headers["x-content-type-options"] == "nosniff"
    assert client.get(f"/media/media/{ids['b']}").headers["content-type"] == "image/png"
    tiff = client.get(f"/media/media/{ids['c']}")  # browsers cannot show TIFF: it is converted
    assert tiff.headers["content-type"] == "image/jpeg" and Image.open(io.BytesIO(tiff.content)).size == (50, 40)
    thumb = client.get(f"/thumbnails/media/{ids['a']}?size=64")
    image = Image.open(io.BytesIO(thumb.content))
    assert image.format == "JPEG" and max(image.size) == 64
    cached = list((bakeoff_home / "thumbnails").rglob("*.jpg"))
    assert len(cached) == 1
    assert client.get(f"/thumbnails/media/{ids['a']}?size=64").content == thumb.content
    assert client.get(f"/thumbnails/media/{ids['a']}?size=5000").status_code == 422


def test_a_changed_file_gets_a_new_thumbnail(media_dataset, client, make_image):
    _dataset, ids, folder = media_dataset
    first = client.get(f"/thumbnails/media/{ids['b']}").content
    make_image(folder / "b.png", size=(40, 30), color=(10, 10, 10), fmt="PNG")
    os.utime(folder / "b.png", ns=(1, 1))
    assert client.get(f"/thumbnails/media/{ids['b']}").content != first


@pytest.mark.parametrize("url", [
    "/media/media/../../etc/passwd",
    "/media/media/..%2F..%2F..%2Fetc%2Fpasswd",
    "/media/media/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/media/media//etc/passwd",
    "/media/media/%2Fetc%2Fpasswd",
    "/media/..%2Fmedia/0",
    "/media/media/unlisted.jpg",
    "/thumbnails/media/..%2F..%2Fsecret.txt",
    "/media/media/0123456789abcdef01234567",
    "/media/nodataset/0123456789abcdef01234567",
    "/media?filepath=/etc/passwd",
])
def test_no_url_reaches_a_file_that_is_not_a_sample(media_dataset, client, url):
    response = client.get(url)
    assert 400 <= response.status_code < 500
    assert "root:" not in response.text and SECRET not in response.text


def test_a_sample_symlinked_to_a_non_image_is_refused(media_dataset, client):
    _, ids, _ = media_dataset
    for endpoint in ("media", "thumbnails"):
        response = client.get(f"/{endpoint}/media/{ids['link']}")
        assert response.status_code == 415 and SECRET not in response.text
        assert response.json()["error"] == "ImageDecodeError"  # a bakeoff error, named, not a bare HTTPException


def test_a_missing_image_is_a_404_that_names_it(media_dataset, client):
    _, ids, _ = media_dataset
    response = client.get(f"/media/media/{ids['gone']}")
    assert response.status_code == 404 and "gone.jpg" in response.json()["detail"]


def test_the_thumbnail_cache_is_trimmed_oldest_first(media_dataset, client, bakeoff_home):
    from bakeoff.app.media import prune_thumbnails

    _, ids, _ = media_dataset
    for size, key in ((32, "a"), (48, "b"), (64, "a")):
        assert client.get(f"/thumbnails/media/{ids[key]}?size={size}").status_code == 200
    files = sorted((bakeoff_home / "thumbnails").rglob("*.jpg"), key=lambda p: p.stat().st_mtime)
    for age, path in enumerate(files):
        os.utime(path, (1000 + age, 1000 + age))
    newest = files[-1]
    assert prune_thumbnails(limit_bytes=newest.stat().st_size) == 2
    assert list((bakeoff_home / "thumbnails").rglob("*.jpg")) == [newest]
    assert prune_thumbnails(limit_bytes=10**9) == 0


def test_simultaneous_first_requests_for_one_thumbnail_all_succeed(media_dataset, client, bakeoff_home):
    from concurrent.futures import ThreadPoolExecutor

    _dataset, ids, _folder = media_dataset
    sizes = (48, 64, 80, 96, 112, 128)  # six never-made thumbnails, each asked for by 8 requests at once
    urls = [f"/thumbnails/media/{ids[k]}?size={s}" for k in ("a", "b") for s in sizes for _ in range(8)]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(client.get, urls))
    assert [r.status_code for r in answers] == [200] * len(urls)
    assert all(Image.open(io.BytesIO(r.content)).format == "JPEG" for r in answers)
    assert not list((bakeoff_home / "thumbnails").rglob("*.part"))  # no temp file left behind
