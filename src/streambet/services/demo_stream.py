"""The demo live stream `make run` starts: a clip built from packaged photos (coffee, a
cat, an astronaut) replayed as live, looping, so a newcomer sees live labels within a
minute of starting."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from streambet.adapters.orm.streams import Stream
from streambet.domain.accounts import Principal
from streambet.services import streams
from streambet.services.demo_footage import encode_stills
from streambet.services.streams import SourceChecks, StreamRead
from streambet.services.unit_of_work import UnitOfWorkFactory

DEMO_NAME = "Demo stream (a packaged clip replayed as live)"
CLIP_NAME = "demo-stream.mp4"


def demo_clip(media_dir: Path) -> Path | None:
    """The demo clip in the media folder, encoded once; None without the photos."""
    path = media_dir / CLIP_NAME
    if path.exists():
        return path
    try:
        from skimage import data
    except ImportError:
        return None
    media_dir.mkdir(parents=True, exist_ok=True)
    part = media_dir / f".{CLIP_NAME}"
    encode_stills(
        part,
        [(data.coffee(), 6.0), (data.chelsea(), 8.0), (data.astronaut(), 6.0)],  # type: ignore[no-untyped-call]
        motion=True,
    )
    part.rename(path)
    return path


def seed_demo_stream(
    uow: UnitOfWorkFactory, checks: SourceChecks, operator: Principal, media_dir: Path
) -> StreamRead | None:
    """Creates the demo stream (or starts it again) as the demo operator's."""
    clip = demo_clip(media_dir)
    if clip is None:
        return None
    with uow() as u:
        found = u.session.scalar(
            select(Stream.id).where(Stream.name == DEMO_NAME, Stream.owner_id == operator.user_id)
        )
    if found is not None:
        return streams.start_stream(uow(), found, operator)
    return streams.create_stream(
        uow(),
        checks,
        operator,
        DEMO_NAME,
        f"replay:{clip.resolve()}",
        {"loop": True, "speech": False},
        start=True,
    )
