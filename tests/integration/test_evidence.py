"""Evidence frames end to end: a job stores the frames that decided it and deletes the video;
the API serves them to the right people; failure, cancel and deletion leave none behind."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from flask import Flask
from PIL import Image

from streambet import create_app
from streambet.adapters.orm.analyses import Analysis
from streambet.adapters.storage import StorageError
from streambet.domain.errors import Conflict, NotFound
from streambet.services import analyses, evidence, markets
from streambet.services.demo_footage import fit
from streambet.timeline import Timeline
from streambet.vision.errors import AnalysisCanceled
from tests.support.api import Actor, make_actor, start, upload
from tests.support.betting import Vocabulary
from tests.support.clips import make_clip, photo

# coffee 0-1 s, the cat 1-2 s; sampled at 2 fps -> frames at 0, 500, 1000, 1500 ms.
SCRIPT = [
    {"name": "Cup", "start_ms": 0, "end_ms": 500, "confidence": 90},
    {"name": "Cat", "start_ms": 1000, "end_ms": 2000, "confidence": 93},
]
FRAMES = [0, 500, 1000, 1500]


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = tmp_path_factory.mktemp("evidence") / "shots.mp4"
    return make_clip(path, [("coffee", 1), ("chelsea", 1)], fps=10).read_bytes()


def _stored(app: Flask) -> list[str]:
    root = app.extensions["streambet"].settings.resolved_storage_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _frame_files(analysis_id: str) -> list[str]:
    return sorted(f"analyses/{analysis_id}/frames/{ms}.jpg" for ms in FRAMES)


def _shows(jpeg: bytes, name: str) -> bool:
    image = Image.open(io.BytesIO(jpeg))
    source = Image.fromarray(fit(photo(name), (640, 360))).resize(image.size)
    diff = np.abs(np.asarray(source, np.float32) - np.asarray(image, np.float32)).mean()
    return bool(diff < 12)


def _market_on(app: Flask, operator: Actor, analysis_id: str) -> int:
    return markets.create_market(
        app.extensions["streambet"].uow(),
        Vocabulary(),
        operator.principal,
        "Cat?",
        [markets.OutcomeDraft("YES", {"label": "Cat"}), markets.OutcomeDraft("NO")],
        analysis_id=analysis_id,
    ).id


def test_a_job_keeps_its_evidence_frames_and_deletes_the_video(
    any_db_app: Flask, clip_bytes: bytes
) -> None:
    owner = make_actor(any_db_app, "operator")
    job_id = upload(any_db_app, owner, clip_bytes, SCRIPT)
    client = any_db_app.test_client()
    job = client.get(f"/api/analyses/{job_id}", headers=owner.headers).get_json()
    assert job["status"] == "succeeded", job
    assert job["timings"]["evidence_ms"] is not None and job["timings"]["engine_ms"] is not None
    assert _stored(any_db_app) == _frame_files(job_id)

    listed = client.get(f"/api/analyses/{job_id}/frames", headers=owner.headers)
    assert listed.status_code == 200 and listed.get_json() == {"frames": FRAMES}
    cat = client.get(f"/api/analyses/{job_id}/frames/1400", headers=owner.headers)
    assert cat.status_code == 200
    assert cat.content_type == "image/jpeg"
    assert cat.headers["X-Frame-Ms"] == "1500"
    assert "private" in cat.headers["Cache-Control"] and "max-age=" in cat.headers["Cache-Control"]
    assert _shows(cat.data, "chelsea") and not _shows(cat.data, "coffee")
    cup = client.get(f"/api/analyses/{job_id}/frames/100", headers=owner.headers)
    assert cup.headers["X-Frame-Ms"] == "0" and _shows(cup.data, "coffee")
    # Default privacy rule: the video itself is not kept.
    gone = client.get(f"/api/analyses/{job_id}/video", headers=owner.headers)
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "no_video"


EVIDENCE_VIEWS = (
    "/frames",
    "/frames/1000",
    "?format=timeline",
    "?format=seed",
    "?format=rekognition",
    "?format=segments",
    "",
)


def test_who_may_see_the_evidence(app: Flask, clip_bytes: bytes) -> None:
    """Nobody but the owner and admins sees a footage's evidence (frames, the timeline in
    every format, its suggestions) while a market on it still takes wagers."""
    owner, other = make_actor(app, "operator"), make_actor(app, "operator")
    bettor, admin = make_actor(app, "bettor"), make_actor(app, "admin")
    job_id = upload(app, owner, clip_bytes, SCRIPT, hold=True)
    client = app.test_client()

    def status(actor: Actor | None) -> set[int]:
        headers = actor.headers if actor else {}
        return {
            client.get(f"/api/analyses/{job_id}{view}", headers=headers).status_code
            for view in EVIDENCE_VIEWS
        }

    first = _market_on(app, owner, job_id)
    second = _market_on(app, owner, job_id)
    start(app, owner, job_id)
    assert status(owner) == {200}
    assert status(admin) == {200}
    # both markets open: the cat is in the evidence, and no bettor may know it yet
    assert status(bettor) == {404}
    assert status(other) == {404}
    assert status(None) == {401, 404}  # the analysis views act as the demo operator (compat)
    w = app.extensions["streambet"]
    markets.lock_market(w.uow(), first, by=owner.principal)
    assert status(bettor) == {404}  # the second market still takes wagers
    markets.lock_market(w.uow(), second, by=owner.principal)
    assert status(bettor) == {200}
    assert status(other) == {200}


def test_not_found_cases_are_in_the_envelope(app: Flask, clip_bytes: bytes) -> None:
    owner = make_actor(app, "operator")
    client = app.test_client()
    nothing_seen = upload(app, owner, clip_bytes, [])  # no label, so no evidence
    assert client.get(f"/api/analyses/{nothing_seen}/frames", headers=owner.headers).get_json() == {
        "frames": []
    }
    cases = {
        f"/api/analyses/{nothing_seen}/frames/0": "no_frames",
        "/api/analyses/0123456789abcdef0123456789abcdef/frames": "not_found",
        "/api/analyses/0123456789abcdef0123456789abcdef/frames/0": "not_found",
        f"/api/analyses/{nothing_seen}/frames/soon": "not_found",
    }
    for url, code in cases.items():
        response = client.get(url, headers=owner.headers)
        assert response.status_code == 404, url
        assert response.get_json()["error"]["code"] == code, url
    assert _stored(app) == []


def test_frames_that_cannot_be_stored_fail_the_job_and_leave_nothing(
    app: Flask, clip_bytes: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = app.extensions["streambet"].storage
    real_put = storage.put
    puts: list[str] = []

    def put_until_full(key: str, chunks: Any, max_bytes: int | None = None) -> int:
        if key.startswith("analyses/"):
            puts.append(key)
            if len(puts) == 3:  # the disk fills up after two frames
                raise StorageError("no space left on device")
        return real_put(key, chunks, max_bytes)

    monkeypatch.setattr(storage, "put", put_until_full)
    owner = make_actor(app, "operator")
    job_id = upload(app, owner, clip_bytes, SCRIPT)
    state = analyses.get_state(app.extensions["streambet"].read_uow(), job_id)
    assert state is not None and state.status == "failed"
    assert state.error is not None and state.error.code == "evidence_failed"
    assert state.timeline is None
    assert len(puts) == 3 and _stored(app) == []
    with app.extensions["streambet"].read_uow() as uow:
        row = uow.session.get(Analysis, job_id)
        assert row is not None and row.evidence_frames is None and row.storage_key is None


class _CancelAfter:
    """A cancel flag that goes up after `n` looks (the user cancels mid-extraction)."""

    def __init__(self, n: int) -> None:
        self.looks, self.n = 0, n

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks > self.n


def test_a_cancel_during_extraction_removes_what_it_stored(
    app: Flask, clip_bytes: bytes, tmp_path: Path
) -> None:
    w = app.extensions["streambet"]
    owner = make_actor(app, "operator")
    seen = analyses.get_state(w.read_uow(), upload(app, owner, clip_bytes, SCRIPT))
    blank = analyses.get_state(
        w.read_uow(), upload(app, owner, clip_bytes, [])
    )  # no frames of its own
    assert seen is not None and seen.timeline is not None and blank is not None
    path = tmp_path / "again.mp4"
    path.write_bytes(clip_bytes)
    cancel = _CancelAfter(2)
    before = _stored(app)
    with pytest.raises(AnalysisCanceled):
        evidence.store_frames(
            w.uow,
            w.storage,
            blank.id,
            blank.attempts,
            path,
            Timeline.from_dict(seen.timeline),
            cancel,
            w.run_policy.evidence_max_frames,
        )
    assert cancel.looks == 3  # two frames were stored before the cancel was seen
    assert _stored(app) == before
    # A run whose claim was taken over stores nothing at all.
    with pytest.raises(AnalysisCanceled):
        evidence.store_frames(
            w.uow,
            w.storage,
            blank.id,
            blank.attempts + 1,
            path,
            Timeline.from_dict(seen.timeline),
            _CancelAfter(9),
            w.run_policy.evidence_max_frames,
        )
    assert _stored(app) == before


def test_a_job_canceled_while_running_stores_none(
    base_config: dict[str, Any], database_url: str, clip_bytes: bytes
) -> None:
    from streambet.worker import Worker

    app = create_app({**base_config, "database_url": database_url, "queue_backend": "sqlite"})
    w = app.extensions["streambet"]
    consumer = Worker(w, workers=1)
    consumer.start()
    try:
        owner = make_actor(app, "operator")
        slow = [{**s, "start_ms": 0} for s in SCRIPT]
        data = {"options": json.dumps({"extra": {"fake_labels": slow, "fake_sleep_ms": 300}})}
        response = app.test_client().post(
            "/api/analyze",
            data={**data, "file": (io.BytesIO(clip_bytes), "clip.mp4")},
            content_type="multipart/form-data",
            headers=owner.headers,
        )
        job_id = response.get_json()["job_id"]
        _wait_for(
            lambda: (analyses.get_state(w.read_uow(), job_id) or _never()).status == "running"
        )
        app.test_client().delete(f"/api/analyses/{job_id}", headers=owner.headers)
        _wait_for(lambda: (analyses.get_state(w.read_uow(), job_id) or _never()).done)
    finally:
        consumer.stop()
        w.close()
    state = analyses.get_state(w.read_uow(), job_id)
    assert state is not None and state.status == "canceled"
    assert _stored(app) == []


def test_removing_an_analysis_removes_its_frames(app: Flask, clip_bytes: bytes) -> None:
    w = app.extensions["streambet"]
    owner, other = make_actor(app, "operator"), make_actor(app, "operator")
    kept = upload(app, owner, clip_bytes, SCRIPT)
    used = upload(app, owner, clip_bytes, SCRIPT, hold=True)
    _market_on(app, owner, used)
    start(app, owner, used)
    principal = owner.principal
    with pytest.raises(NotFound):
        analyses.remove(w.uow(), w.storage, other.principal, kept)
    with pytest.raises(Conflict):
        analyses.remove(w.uow(), w.storage, principal, used)  # a market's evidence stays
    analyses.remove(w.uow(), w.storage, principal, kept)
    assert analyses.get_state(w.read_uow(), kept) is None
    assert _stored(app) == _frame_files(used)


@pytest.fixture
def keeping_app(base_config: dict[str, Any], database_url: str) -> Iterator[Flask]:
    app = create_app({**base_config, "database_url": database_url, "keep_uploads": True})
    yield app
    app.extensions["streambet"].close()


def test_a_kept_upload_streams_with_ranges(keeping_app: Flask, clip_bytes: bytes) -> None:
    owner, bettor = make_actor(keeping_app, "operator"), make_actor(keeping_app, "bettor")
    job_id = upload(keeping_app, owner, clip_bytes, SCRIPT)
    client = keeping_app.test_client()
    url = f"/api/analyses/{job_id}/video"

    def get(actor: Actor, **headers: str) -> tuple[int, bytes, dict[str, str]]:
        with client.get(url, headers={**actor.headers, **headers}) as response:
            return response.status_code, response.get_data(), dict(response.headers)

    status, body, headers = get(owner)
    assert (status, body) == (200, clip_bytes)
    assert headers["Content-Type"] == "video/mp4" and headers["Accept-Ranges"] == "bytes"
    status, body, headers = get(owner, Range="bytes=100-199")
    assert (status, body) == (206, clip_bytes[100:200])
    assert headers["Content-Range"] == f"bytes 100-199/{len(clip_bytes)}"
    assert get(owner, Range=f"bytes={len(clip_bytes)}-")[0] == 416
    assert get(bettor)[0] == 404
    assert len(_stored(keeping_app)) == 1 + len(FRAMES)
    w = keeping_app.extensions["streambet"]
    analyses.remove(w.uow(), w.storage, owner.principal, job_id)
    assert _stored(keeping_app) == []


def _wait_for(predicate: Any, seconds: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.05)


def _never() -> Any:
    raise AssertionError("the analysis vanished")


@pytest.mark.parametrize("ending", ["gives_up", "canceled_while_queued"])
def test_frames_left_by_a_dead_run_go_when_the_job_ends(
    base_config: dict[str, Any], database_url: str, clip_bytes: bytes, ending: str
) -> None:
    from datetime import UTC, datetime, timedelta

    from streambet.services import analysis_runs

    app = create_app({**base_config, "database_url": database_url, "queue_backend": "sqlite"})
    w = app.extensions["streambet"]
    try:
        owner = make_actor(app, "operator")
        job_id = upload(app, owner, clip_bytes, SCRIPT)  # queued; no consumer runs it
        for ms in (0, 500):  # what a run that died mid-extraction left behind
            w.storage.put(analyses.frame_key(job_id, ms), [b"\xff\xd8partial"])
        with w.uow() as uow:
            row = uow.session.get(Analysis, job_id)
            assert row is not None
            row.evidence_frames = [0, 500]
            if ending == "gives_up":  # its lease lapsed on the last attempt
                row.status, row.attempts = "running", w.settings.job_max_attempts
                row.lease_until = datetime.now(UTC) - timedelta(seconds=1)
            uow.commit()
        if ending == "gives_up":
            analysis_runs.run(w.runner, job_id)
        else:  # the sweeper queued it again, then its owner canceled it
            app.test_client().delete(f"/api/analyses/{job_id}", headers=owner.headers)
        state = analyses.get_state(w.read_uow(), job_id)
        expected = "too_many_attempts" if ending == "gives_up" else "canceled"
        assert state is not None and state.error is not None and state.error.code == expected
        assert _stored(app) == []
    finally:
        w.close()


def test_the_frame_views_are_in_the_openapi_document(client: Any) -> None:
    paths = client.get("/api/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/analyses/{analysis_id}/frames"]
    assert "get" in paths["/api/analyses/{analysis_id}/frames/{ms}"]
    assert "get" in paths["/api/analyses/{analysis_id}/video"]


def test_every_detection_a_settlement_cites_is_a_stored_frame(
    any_db_app: Flask, clip_bytes: bytes
) -> None:
    from streambet.services import settlement
    from streambet.services.analyses import DbTimelineSource
    from streambet.services.settlement import SettlementPolicy

    w = any_db_app.extensions["streambet"]
    owner, bettor = make_actor(any_db_app, "operator"), make_actor(any_db_app, "bettor")
    job_id = upload(any_db_app, owner, clip_bytes, SCRIPT, hold=True)
    _market_on(any_db_app, owner, job_id)
    start(any_db_app, owner, job_id)
    timeline = DbTimelineSource(w.read_uow).timeline_for(job_id)
    assert timeline is not None
    market_id = markets.list_markets(w.read_uow(), analysis_id=job_id)[0][0].id
    result = settlement.settle_with_timeline(w.uow(), market_id, timeline, SettlementPolicy())
    assert result.decision is not None and result.decision.resolved
    cited = {
        d["timestamp_ms"]
        for outcome in result.decision.evidence_json()["outcomes"]
        for d in outcome["detections"]
    }
    assert cited == {1000, 1500}  # the cat
    client = any_db_app.test_client()
    for ms in sorted(cited):
        frame = client.get(f"/api/analyses/{job_id}/frames/{ms}", headers=bettor.headers)
        assert frame.status_code == 200 and frame.headers["X-Frame-Ms"] == str(ms)
        assert _shows(frame.data, "chelsea")


@pytest.fixture
def s3_app(
    base_config: dict[str, Any], database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Flask]:
    """Keeping uploads on an S3 bucket (moto in server mode on 127.0.0.1)."""
    import socket
    import uuid

    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    for name, value in (("ACCESS_KEY_ID", "testing"), ("SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(f"AWS_{name}", value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"evidence-{uuid.uuid4().hex[:8]}"
    app = create_app(
        {
            **base_config,
            "database_url": database_url,
            "storage_backend": "s3",
            "s3_bucket": bucket,
            "s3_endpoint_url": f"http://127.0.0.1:{port}",
            "keep_uploads": True,
        }
    )
    app.extensions["streambet"].storage.client.create_bucket(Bucket=bucket)
    try:
        yield app
    finally:
        app.extensions["streambet"].close()
        server.stop()


def test_frames_and_a_kept_video_on_s3(s3_app: Flask, clip_bytes: bytes) -> None:
    w = s3_app.extensions["streambet"]
    owner = make_actor(s3_app, "operator")
    job_id = upload(s3_app, owner, clip_bytes, SCRIPT)
    listing = w.storage.client.list_objects_v2(Bucket=w.settings.s3_bucket)
    keys = sorted(o["Key"] for o in listing.get("Contents", ()))
    prefix = w.settings.s3_prefix
    assert keys == sorted(
        [prefix + k for k in _frame_files(job_id)] + [f"{prefix}uploads/{job_id}"]
    )
    client = s3_app.test_client()
    cat = client.get(f"/api/analyses/{job_id}/frames/1500", headers=owner.headers)
    assert cat.status_code == 200 and _shows(cat.data, "chelsea")
    headers = {**owner.headers, "Range": "bytes=1000-1099"}
    with client.get(f"/api/analyses/{job_id}/video", headers=headers) as part:
        assert part.status_code == 206 and part.get_data() == clip_bytes[1000:1100]
    analyses.remove(w.uow(), w.storage, owner.principal, job_id)
    assert w.storage.client.list_objects_v2(Bucket=w.settings.s3_bucket)["KeyCount"] == 0
