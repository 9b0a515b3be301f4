"""The storage port on a local directory and on S3 (moto in server mode on 127.0.0.1)."""

from __future__ import annotations

import io
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from streambet import create_app
from streambet.adapters.storage import LocalStorage, S3Storage, Storage, TooLarge
from tests.support.media import png_bytes, video_bytes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(params=["local", "s3"])
def storage(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    endpoint = request.getfixturevalue("moto_endpoint")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"streambet-{uuid.uuid4().hex[:8]}"
    s3 = S3Storage(bucket, "t/", endpoint, temp_dir=tmp_path / "tmp")
    s3.client.create_bucket(Bucket=bucket)
    return s3


def _chunks(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        yield bytes([sent // size % 251]) * n
        sent += n


def test_round_trip(storage: Storage, tmp_path: Path) -> None:
    size = storage.put("uploads/a", _chunks(9 * (1 << 20) + 123))  # past one S3 part
    assert size == 9 * (1 << 20) + 123
    assert storage.exists("uploads/a")
    with storage.open("uploads/a") as fh:
        head = fh.read(3)
    assert head == b"\x00\x00\x00"
    with storage.local_path("uploads/a") as path:
        assert path.stat().st_size == size
        assert path.read_bytes()[(1 << 20) * 2] == 2
    storage.check()
    storage.delete("uploads/a")
    assert not storage.exists("uploads/a")
    leftovers = list((tmp_path / "tmp").glob("*")) if (tmp_path / "tmp").exists() else []
    assert leftovers == []  # S3's temporary download is gone


def test_cap_refuses_and_keeps_nothing(storage: Storage, tmp_path: Path) -> None:
    with pytest.raises(TooLarge):
        storage.put("uploads/big", _chunks(3 * (1 << 20)), max_bytes=2 * (1 << 20))
    assert not storage.exists("uploads/big")
    if isinstance(storage, LocalStorage):
        assert [p for p in storage.root.rglob("*") if p.is_file()] == []
    else:
        listed = storage.client.list_objects_v2(Bucket=storage.bucket).get("KeyCount", 0)
        uploads = storage.client.list_multipart_uploads(Bucket=storage.bucket)
        assert listed == 0 and not uploads.get("Uploads")


def test_failing_source_keeps_nothing(storage: Storage) -> None:
    def broken() -> Iterator[bytes]:
        yield b"x" * 1000
        raise ConnectionError("client went away")

    with pytest.raises(ConnectionError):
        storage.put("uploads/broken", broken())
    assert not storage.exists("uploads/broken")


@pytest.mark.parametrize("key", ["../x", "/etc/passwd", "a/../../b", "", "a//b"])
def test_keys_cannot_escape(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="invalid storage key"):
        LocalStorage(tmp_path).put(key, [b"x"])


def test_uploads_through_the_api_on_s3(
    moto_endpoint: str,
    base_config: dict[str, Any],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"api-{uuid.uuid4().hex[:8]}"
    app = create_app(
        {
            **base_config,
            "database_url": database_url,
            "storage_backend": "s3",
            "s3_bucket": bucket,
            "s3_endpoint_url": moto_endpoint,
        }
    )
    w = app.extensions["streambet"]
    try:
        w.storage.client.create_bucket(Bucket=bucket)
        client = app.test_client()
        assert client.get("/api/health").get_json()["checks"]["storage"]["backend"] == "s3"

        def post(data: bytes) -> Any:
            return client.post(
                "/api/analyze",
                data={"file": (io.BytesIO(data), "c.mp4")},
                content_type="multipart/form-data",
            )

        assert post(png_bytes()).status_code == 415
        created = post(video_bytes(tmp_path))
        assert created.status_code == 202
        job = client.get(created.get_json()["url"] + "?format=timeline").get_json()
        assert job["status"] == "succeeded" and job["result"]["video"]["duration_ms"] == 2000
        assert w.storage.client.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
        assert list((tmp_path / "var").rglob("tmp/*")) == []
    finally:
        w.close()


def test_list_names_every_object_under_a_folder(storage: Storage) -> None:
    for key in ("uploads/a", "uploads/b", "analyses/x/frames/0.jpg", "analyses/x/frames/500.jpg"):
        storage.put(key, [b"data"])
    listed = {o.key: o.modified for o in storage.list("analyses/")}
    assert sorted(listed) == ["analyses/x/frames/0.jpg", "analyses/x/frames/500.jpg"]
    assert all(abs((datetime.now(UTC) - m).total_seconds()) < 300 for m in listed.values())
    assert sorted(o.key for o in storage.list("uploads/")) == ["uploads/a", "uploads/b"]
    assert list(storage.list("nothing-here/")) == []


def test_unfinished_writes_are_aborted_once_old_enough(storage: Storage) -> None:
    started_at = datetime.now(UTC)
    if isinstance(storage, S3Storage):  # a multipart upload cut off before its completion
        key = storage._key("uploads/cut-off")
        started = storage.client.create_multipart_upload(Bucket=storage.bucket, Key=key)
        storage.client.upload_part(
            Bucket=storage.bucket,
            Key=key,
            UploadId=started["UploadId"],
            PartNumber=1,
            Body=b"x" * (5 << 20),
        )
        # the server's own clock (moto reports a fixed date), as the sweep compares
        listed = storage.client.list_multipart_uploads(Bucket=storage.bucket)["Uploads"]
        started_at = listed[0]["Initiated"]
    kept = storage.abort_unfinished("uploads/", started_at - timedelta(minutes=1))
    assert kept == []  # younger than the cut-off: it may still be in flight
    aborted = storage.abort_unfinished("uploads/", started_at + timedelta(minutes=1))
    if isinstance(storage, S3Storage):
        assert aborted == ["uploads/cut-off"]
        left = storage.client.list_multipart_uploads(Bucket=storage.bucket)
        assert left.get("Uploads", []) == []
    else:  # a local cut-off write is a .part file, which list() shows
        assert aborted == []
