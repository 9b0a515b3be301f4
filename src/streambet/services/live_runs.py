"""Live jobs: a started stream followed by one worker at a time, durably.

A worker claims a stream whose status says it should run and whose lease is free or has
lapsed (a conditional update on `attempts`, as analysis jobs do), renews the lease while
it follows the source, and writes only while it still holds the current attempt. If its
process dies (kill -9) the lease lapses and another worker (or the restarted one) takes
the stream over; the stream time between the dead job's last analysed picture and the new
job's first is a gap in the coverage (the dead job's interval has no end reason: "the
worker stopped without a word").

What a running job writes and announces is services/live_job.py. Retention deletes old
chunks, events, frames and intervals (`sweep_retention`).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update

from streambet.adapters.orm.base import utcnow
from streambet.adapters.orm.streams import Stream, StreamChunk, StreamEvent, StreamInterval
from streambet.domain.streams import RUNNING, StreamStatus
from streambet.services.live_frames import frame_key
from streambet.services.live_job import Claim, LiveJob, LivePolicy, LiveRunner, rowcount
from streambet.timeline import VideoMetadata
from streambet.vision.backends import AnalysisOptions, Features
from streambet.vision.live.analysis import LiveAnalysis
from streambet.vision.live.follow import FollowConfig, follow
from streambet.vision.live.guard import Guard
from streambet.vision.live.source import ReadConfig, now_ms

log = logging.getLogger(__name__)
AUDIO_BLOCK_SECONDS = 10  # speech on a live stream: a block of this many seconds at a time
__all__ = ["Claim", "LivePolicy", "LiveRunner", "claim_next", "run_stream", "sweep_retention"]


def claim_next(r: LiveRunner, worker: str, busy: set[int]) -> Claim | None:
    """Takes one stream that should run and that nobody holds (or whose holder's lease
    lapsed); None when there is none."""
    now = utcnow()
    with r.read() as uow:
        candidates = uow.session.execute(
            select(Stream.id, Stream.attempts)
            .where(
                Stream.status.in_([s.value for s in RUNNING]),
                or_(Stream.lease_until.is_(None), Stream.lease_until < now),
            )
            .order_by(Stream.id)
            .limit(16)
        ).all()
    for stream_id, attempts in candidates:
        if stream_id in busy:
            continue
        with r.write() as uow:
            taken = rowcount(
                uow.session.execute(
                    update(Stream)
                    .where(
                        Stream.id == stream_id,
                        Stream.attempts == attempts,
                        Stream.status.in_([s.value for s in RUNNING]),
                        or_(Stream.lease_until.is_(None), Stream.lease_until < now),
                    )
                    .values(
                        attempts=attempts + 1,
                        lease_until=now + timedelta(seconds=r.policy.lease_seconds),
                        worker=worker,
                    )
                    .execution_options(synchronize_session=False)
                )
            )
            uow.commit()
        if taken == 1:
            log.info("live stream claimed", extra={"stream_id": stream_id, "attempt": attempts + 1})
            return Claim(stream_id, attempts + 1)
    return None


def engine_options(policy: LivePolicy, options: dict[str, Any]) -> AnalysisOptions:
    return AnalysisOptions(
        sample_fps=float(options.get("sample_fps") or policy.sample_fps),
        min_confidence=float(options.get("min_confidence", 50.0)),
        features=Features(
            pose=bool(options.get("pose", True)),
            audio=bool(options.get("audio", True)),
            speech=bool(options.get("speech", False)),
        ),
    )


def run_stream(r: LiveRunner, claim: Claim, stop: threading.Event) -> None:
    """Follows the claimed stream until it is stopped, ends, fails, or the claim is lost."""
    with r.read() as uow:
        row = uow.session.get(Stream, claim.stream_id)
        if row is None:
            return
        url, options, owner_id = row.source_url, dict(row.options or {}), row.owner_id
    job = LiveJob(r, claim, owner_id, stop)
    job.set_status(StreamStatus.STARTING, None, lag_ms=None)
    detectors = tuple(options["detectors"]) if options.get("detectors") else None
    engine_opts = engine_options(r.policy, options)
    read_config = ReadConfig(
        sample_interval_ms=max(1, round(1000 / engine_opts.sample_fps)),
        open_timeout=r.policy.open_timeout,
        read_timeout=r.policy.read_timeout,
        audio=engine_opts.features.audio,
        loop=bool(options.get("loop", False)),
    )
    lease = threading.Thread(
        target=job.keep_lease, name=f"live-lease-{claim.stream_id}", daemon=True
    )
    lease.start()
    follower: threading.Thread | None = None
    try:
        engine = r.engine(detectors)
        holder: dict[str, LiveAnalysis] = {}  # the run's callbacks reach the analysis made next
        run = engine.start(
            engine_opts,
            VideoMetadata("live", 0, "live", 0.0, 0, 0),
            on_labels=lambda samples: holder["a"].on_labels(samples),
            on_words=lambda words: holder["a"].on_words(words),
            keep=False,
            audio_block_seconds=AUDIO_BLOCK_SECONDS,
        )
        analysis = holder["a"] = job.analysis = LiveAnalysis(
            run, job, sound=engine_opts.features.audio
        )
        follower = threading.Thread(
            target=follow,
            args=(url, FollowConfig(read_config, r.policy.give_up_seconds), analysis, stop),
            kwargs={
                "kinesis_clients": r.kinesis_clients,
                "guard": Guard(r.vet_host, r.policy.open_timeout, r.policy.read_timeout)
                if r.vet_host is not None
                else None,
            },
            name=f"live-source-{claim.stream_id}",
            daemon=True,
        )
        follower.start()
        try:
            analysis.run_until(stop)
        finally:
            run.close()
    except Exception as exc:
        log.exception("live job failed", extra={"stream_id": claim.stream_id})
        job.finished(False, f"the live job failed ({type(exc).__name__})")
    finally:
        stop.set()
        if follower is not None:
            follower.join(r.policy.read_timeout + 5)
        lease.join(5)
    job.hand_back()
    log.info("live job ended", extra={"stream_id": claim.stream_id, "attempt": claim.attempt})


def sweep_retention(r: LiveRunner) -> int:
    """Deletes chunks, events (and their frames) and intervals older than the retention."""
    cutoff = now_ms() - int(r.policy.retention_hours * 3600 * 1000)
    with r.write() as uow:
        frames = uow.session.execute(
            select(StreamEvent.stream_id, StreamEvent.frame_ms).where(
                StreamEvent.stream_ms < cutoff, StreamEvent.frame_ms.is_not(None)
            )
        ).all()
        removed = 0
        for table, column in (
            (StreamChunk, StreamChunk.until_ms),
            (StreamEvent, StreamEvent.stream_ms),
            (StreamInterval, StreamInterval.until_ms),
        ):
            removed += rowcount(uow.session.execute(delete(table).where(column < cutoff)))
        uow.commit()
    for stream_id, ms in frames:
        if ms is not None:
            r.storage.delete(frame_key(stream_id, ms))
    return removed
