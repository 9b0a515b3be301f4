"""A recorded Rekognition GetLabelDetection response, stored as a finished analysis."""

from __future__ import annotations

import uuid
from pathlib import Path

from flask import Flask

from streambet.adapters.orm.analyses import Analysis
from streambet.vision.backends.rekognition.recorded import load_recorded_timeline

RECORDING = (
    Path(__file__).parents[1] / "fixtures" / "rekognition" / "get_label_detection_timestamps.json"
)


def store_recorded_analysis(app: Flask, owner_id: int) -> str:
    """The recording as a succeeded analysis owned by `owner_id`; returns its id."""
    timeline = load_recorded_timeline(RECORDING)
    analysis_id = uuid.uuid4().hex
    with app.extensions["streambet"].uow() as uow:
        uow.session.add(
            Analysis(
                id=analysis_id,
                user_id=owner_id,
                file_name="recorded.mp4",
                status="succeeded",
                progress=100,
                video=timeline.video.to_dict(),
                timeline=timeline.to_dict(),
            )
        )
        uow.commit()
    return analysis_id
