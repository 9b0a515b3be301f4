"""What StartLabelDetection is asked: parameters from the job's options, the JobTag, and
the idempotency token derived from the job, the video's content and those parameters."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from streambet.vision.backends import AnalysisOptions, CancelFlag
from streambet.vision.backends.rekognition.config import RekognitionConfig
from streambet.vision.backends.rekognition.errors import RekognitionConfigError
from streambet.vision.backends.rekognition.timing import check_cancel

MAX_FILTERS = 100  # per filter list
_JOB_TAG_UNSAFE = re.compile(r"[^a-zA-Z0-9_.\-:+=/]")


def aggregate_by(options: AnalysisOptions) -> str:
    value = str(options.aggregate_by).upper()
    if value not in ("TIMESTAMPS", "SEGMENTS"):
        raise RekognitionConfigError(f"aggregate_by must be TIMESTAMPS or SEGMENTS, not {value!r}")
    return value


def _filters(options: AnalysisOptions) -> dict[str, list[str]]:
    wanted = {
        "LabelInclusionFilters": options.label_inclusion,
        "LabelExclusionFilters": options.label_exclusion,
        "LabelCategoryInclusionFilters": options.category_inclusion,
        "LabelCategoryExclusionFilters": options.category_exclusion,
    }
    out: dict[str, list[str]] = {}
    for name, values in wanted.items():
        cleaned = [v.strip() for v in values if v.strip()]
        if len(cleaned) > MAX_FILTERS:
            raise RekognitionConfigError(
                f"{name}: Rekognition accepts at most {MAX_FILTERS} entries, got {len(cleaned)}."
            )
        if cleaned:
            out[name] = cleaned
    return out


def job_tag(options: AnalysisOptions) -> str:
    raw = options.job_tag or f"streambet-{options.job_id}"
    return _JOB_TAG_UNSAFE.sub("-", raw).strip("-")[:256] or "streambet"


def file_digest(path: Path, cancel: CancelFlag | None) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            check_cancel(cancel)
            h.update(chunk)
    return h.hexdigest()


def request_token(job_id: str, digest: str, params: dict[str, Any], attempt: int = 0) -> str:
    """ClientRequestToken (1-64 of [a-zA-Z0-9-_]) derived from the job, the video's
    content and every start parameter: a retried job gets the same token, and so the same
    Rekognition JobId instead of a second (billed) job; anything different gets its own.
    The same token also returns the same FAILED job, so `attempt` (bumped by the caller
    only after a failure) is what asks for a fresh one."""
    material = json.dumps(
        {"job": job_id, "video": digest, "params": params, "attempt": attempt}, sort_keys=True
    )
    return "sb-" + hashlib.sha256(material.encode()).hexdigest()[:61]


def start_params(options: AnalysisOptions, config: RekognitionConfig) -> dict[str, Any]:
    """StartLabelDetection parameters except Video and ClientRequestToken."""
    if not 0 <= options.min_confidence <= 100:
        raise RekognitionConfigError("min_confidence must be between 0 and 100.")
    params: dict[str, Any] = {
        "MinConfidence": float(options.min_confidence),
        "Features": ["GENERAL_LABELS"],
        "JobTag": job_tag(options),
    }
    filters = _filters(options)
    if filters:
        params["Settings"] = {"GeneralLabels": filters}
    if config.sns_topic_arn:
        params["NotificationChannel"] = {
            "SNSTopicArn": config.sns_topic_arn,
            "RoleArn": config.role_arn,
        }
    return params
