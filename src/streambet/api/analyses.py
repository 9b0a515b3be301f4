"""Analysis as a job: upload (202 + job URL, or `?wait=true` for the original blocking
response), read status/progress/result, list one's own, cancel."""

from __future__ import annotations

from typing import Any, Literal

from flask import Blueprint, Response, jsonify, request, url_for
from pydantic import BaseModel, ConfigDict, Field, model_validator
from werkzeug.wsgi import wrap_file

from streambet.api.auth import principal, requires
from streambet.api.errors import error_response
from streambet.api.openapi import documented
from streambet.api.uploads import StreamedForm
from streambet.api.validation import parse_query, validate_json
from streambet.domain.accounts import Role
from streambet.domain.analyses import AnalysisStatus
from streambet.domain.errors import Conflict, ValidationFailed
from streambet.domain.suggestions import Suggestion, betting_suggestion, suggest
from streambet.logs import request_id_var
from streambet.services import analyses, evidence
from streambet.services.analyses import AnalysisRead
from streambet.services.read_models import read
from streambet.timeline import Timeline
from streambet.vision.outputs.agreement import compare_timelines
from streambet.wiring import wiring

bp = Blueprint("analyses", __name__)


class FeaturesCreate(BaseModel):
    """Optional parts of the local engine's analysis (vision.backends.Features); unset
    ones keep the engine's default (on)."""

    model_config = ConfigDict(extra="forbid")

    pose: bool | None = None
    audio: bool | None = None
    speech: bool | None = None


class AnalysisOptionsCreate(BaseModel):
    """Optional JSON in the `options` form field (before the `file` part)."""

    model_config = ConfigDict(extra="forbid")

    sample_fps: float | None = Field(default=None, gt=0, le=30)
    min_confidence: float = Field(default=50.0, ge=0, le=100)
    label_inclusion: list[str] = Field(default_factory=list, max_length=100)
    label_exclusion: list[str] = Field(default_factory=list, max_length=100)
    category_inclusion: list[str] = Field(default_factory=list, max_length=100)
    category_exclusion: list[str] = Field(default_factory=list, max_length=100)
    features: FeaturesCreate = Field(default_factory=FeaturesCreate)
    # Scripted-engine controls; accepted only when the fake backend is configured.
    extra: dict[str, Any] = Field(default_factory=dict)


class AnalyzeQuery(BaseModel):
    wait: bool = False
    timeout: int = Field(default=600, ge=1, le=3600)  # seconds, with wait=true
    hold: bool = Field(
        default=False,
        description="Record the upload but do not analyse it yet: open markets on it first"
        " (the analysis starts when one of them locks, or on POST .../start)",
    )

    @model_validator(mode="after")
    def _not_both(self) -> AnalyzeQuery:
        if self.wait and self.hold:
            raise ValueError("wait and hold exclude each other")
        return self


class ResultQuery(BaseModel):
    # timeline: the engine-neutral Timeline itself (what settlement reads); agreement: per
    # label, where the primary and the second-opinion engine agree (agreement mode only)
    format: Literal["seed", "rekognition", "segments", "timeline", "agreement"] = "seed"
    aggregate_by: Literal["timestamps", "segments"] = "timestamps"


class ListQuery(BaseModel):
    status: AnalysisStatus | None = None
    limit: int = Field(default=50, ge=1, le=200)


class JobAcceptedRead(BaseModel):
    job_id: str
    status: str
    url: str


class SuggestionRead(BaseModel):
    """A market the engine's evidence suggests (streambet.domain.suggestions)."""

    question: str
    label: str
    criteria: dict[str, Any]
    confidence: float
    probability: float
    timestamps_ms: list[int]


class AnalysisResource(AnalysisRead):
    url: str
    result: dict[str, Any] | None = None
    suggestions: list[SuggestionRead] | None = Field(
        default=None, description="With format=timeline: markets to open on this footage"
    )


class AnalysisListRead(BaseModel):
    items: list[AnalysisResource]


class FramesRead(BaseModel):
    frames: list[int]  # ms of each stored evidence frame, ascending


class SeedLabelRead(BaseModel):
    label: str
    confidence: float
    timestamps: list[float]
    category: str


class SeedRead(BaseModel):
    """The original /api/analyze response, kept for old clients (`?wait=true`)."""

    status: str
    job_id: str
    total_labels: int
    labels: list[SeedLabelRead]
    activity_labels: list[SeedLabelRead]
    betting_suggestion: dict[str, Any]
    video_metadata: dict[str, Any]


def _url(analysis_id: str) -> str:
    return url_for("analyses.get_analysis", analysis_id=analysis_id)


def analysis_body(
    state: AnalysisRead,
    result: dict[str, Any] | None = None,
    suggestions: list[SuggestionRead] | None = None,
) -> dict[str, Any]:
    resource = read(
        AnalysisResource, state, url=_url(state.id), result=result, suggestions=suggestions
    )
    exclude = None if suggestions is not None else {"suggestions"}
    return resource.model_dump(mode="json", exclude=exclude)


def render_result(state: AnalysisRead, fmt: str, aggregate_by: str) -> dict[str, Any]:
    """The stored timeline in the shape asked for (the vision package owns the shapes)."""
    assert state.timeline is not None
    if fmt == "timeline":
        return state.timeline
    if fmt == "agreement":
        if state.second_timeline is None:
            raise Conflict(
                "This analysis has no second opinion (STREAMBET_SECOND_OPINION_BACKEND is off).",
                code="no_second_opinion",
            )
        report = compare_timelines(
            Timeline.from_dict(state.timeline), Timeline.from_dict(state.second_timeline)
        )
        return report.to_dict()
    from streambet.vision import outputs  # type: ignore[attr-defined, unused-ignore]

    timeline = Timeline.from_dict(state.timeline)
    if fmt == "rekognition":
        shaped: dict[str, Any] = outputs.to_rekognition(timeline, aggregate_by=aggregate_by.upper())
    elif fmt == "segments":
        shaped = outputs.to_segments(timeline)
    else:
        shaped = outputs.to_seed(
            timeline,
            job_id=state.id,
            betting_suggestion=betting_suggestion(settleable_suggestions(timeline)),
        )
    return shaped


def settleable_suggestions(timeline: Timeline) -> list[Suggestion]:
    """Markets its engine can settle by itself (measured labels only, for the local one)."""
    measured = wiring().settlement_policy.settleable.get(timeline.engine)
    return suggest(timeline, settleable=measured)


def _options(raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    parsed = validate_json(AnalysisOptionsCreate, raw, what="The 'options' field")
    return parsed.model_dump(exclude_defaults=True)


@bp.post("/api/analyze")
@documented(
    "Upload a video to analyse (202 with the job; ?wait=true blocks and returns the"
    " original response)",
    tags=("analysis",),
    query=AnalyzeQuery,
    multipart={
        "options": "optional JSON object of analysis options, sent before the file",
        "file": "the video (MP4, MOV, AVI, MKV, WebM); probed, never trusted by name",
    },
    responses={
        202: JobAcceptedRead,
        200: SeedRead,
        400: None,
        401: None,
        403: None,
        413: None,
        415: None,
    },
)
@requires(Role.OPERATOR, compat=True)
def analyze() -> tuple[Response, int]:
    query = parse_query(AnalyzeQuery)
    w = wiring()
    form = StreamedForm(request, w.upload_policy.max_bytes + 1024 * 1024)
    file_name = form.open_file("file")
    if file_name is None:
        raise ValidationFailed(
            "Attach the video in a multipart field named 'file'.",
            details={"field": "file"},
            code="missing_file",
        )
    options = _options(form.fields.get("options"))
    state = analyses.submit(
        w.uow,
        w.storage,
        w.queue,
        w.upload_policy,
        principal(),
        file_name,
        form.file_chunks(),
        options,
        request_id_var.get(),
        hold=query.hold,
    )
    if query.wait:
        state = analyses.wait(w.read_uow, w.events, state.id, query.timeout)
        if state.status == AnalysisStatus.SUCCEEDED:
            return jsonify(render_result(state, "seed", "timestamps")), 200
        if state.status == AnalysisStatus.FAILED:
            # The original answered processing errors with 500, in this envelope now.
            return error_response(
                500,
                state.error.code if state.error else "analysis_failed",
                state.error.message if state.error else "The analysis failed.",
                {"job_id": state.id},
            ), 500
        if state.status == AnalysisStatus.CANCELED:
            raise Conflict("The analysis was canceled.", code="canceled")
    body = JobAcceptedRead(job_id=state.id, status=state.status, url=_url(state.id))
    response = jsonify(body.model_dump())
    response.headers["Location"] = body.url
    return response, 202


@bp.get("/api/analyses/<analysis:analysis_id>")
@documented(
    "Status, progress, timings and, once done, the result of one analysis (the owner and"
    " admins; others once markets on it have all stopped taking wagers)",
    tags=("analysis",),
    query=ResultQuery,
    responses={200: AnalysisResource, 401: None, 404: None},
)
@requires(Role.BETTOR, compat=True)
def get_analysis(analysis_id: str) -> Response:
    query = parse_query(ResultQuery)
    state = analyses.get(wiring().read_uow(), principal(), analysis_id)
    result = suggestions = None
    if state.status == AnalysisStatus.SUCCEEDED and state.timeline is not None:
        result = render_result(state, query.format, query.aggregate_by)
        if query.format == "timeline":
            found = settleable_suggestions(Timeline.from_dict(state.timeline))
            suggestions = [SuggestionRead.model_validate(s, from_attributes=True) for s in found]
    return jsonify(analysis_body(state, result, suggestions))


@bp.get("/api/analyses")
@documented(
    "The caller's own analyses, newest first",
    tags=("analysis",),
    query=ListQuery,
    responses={200: AnalysisListRead, 401: None},
)
@requires(Role.BETTOR, compat=True)
def list_analyses() -> Response:
    query = parse_query(ListQuery)
    states = analyses.list_for(wiring().read_uow(), principal(), query.status, query.limit)
    return jsonify({"items": [analysis_body(s) for s in states]})


@bp.delete("/api/analyses/<analysis:analysis_id>")
@documented(
    "Cancel an analysis (at once if queued; at its next sample if running)",
    tags=("analysis",),
    responses={202: AnalysisResource, 401: None, 404: None, 409: None},
)
@requires(Role.BETTOR, compat=True)
def cancel_analysis(analysis_id: str) -> tuple[Response, int]:
    w = wiring()
    state = analyses.cancel(w.uow(), w.storage, w.metrics, principal(), analysis_id)
    return jsonify(analysis_body(state)), 202


@bp.post("/api/analyses/<analysis:analysis_id>/start")
@documented(
    "Start a held analysis now (its owner, or an admin); markets on its footage keep its"
    " evidence sealed until they lock",
    tags=("analysis",),
    responses={202: AnalysisResource, 401: None, 403: None, 404: None, 409: None},
)
@requires(Role.OPERATOR)
def start_analysis(analysis_id: str) -> tuple[Response, int]:
    w = wiring()
    state = analyses.start(w.uow(), w.queue, principal(), analysis_id)
    return jsonify(analysis_body(state)), 202


# Evidence frames are immutable once stored; the browser may keep them a while.
FRAME_MAX_AGE = 3600


@bp.get("/api/analyses/<analysis:analysis_id>/frames")
@documented(
    "Times (ms) of the stored evidence frames: the owner, admins, and anyone logged in once"
    " markets are built on the analysis and none of them is open any more",
    tags=("analysis",),
    responses={200: FramesRead, 401: None, 404: None},
)
@requires(Role.BETTOR)
def list_frames(analysis_id: str) -> Response:
    times = evidence.frame_times(wiring().read_uow(), principal(), analysis_id)
    return jsonify(FramesRead(frames=sorted(times)).model_dump())


@bp.get("/api/analyses/<analysis:analysis_id>/frames/<ms:ms>")
@documented(
    "The stored evidence frame nearest ms, as JPEG (X-Frame-Ms: its own time)",
    tags=("analysis",),
    responses={200: None, 401: None, 404: None},
)
@requires(Role.BETTOR)
def get_frame(analysis_id: str, ms: int) -> Response:
    w = wiring()
    at, jpeg = evidence.frame(w.read_uow(), w.storage, principal(), analysis_id, ms)
    response = Response(jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = f"private, max-age={FRAME_MAX_AGE}"
    response.headers["X-Frame-Ms"] = str(at)
    return response


@bp.get("/api/analyses/<analysis:analysis_id>/video")
@documented(
    "The analysed video itself, with Range support, when the deployment keeps uploads"
    " (STREAMBET_KEEP_UPLOADS); same audience as the frames",
    tags=("analysis",),
    responses={200: None, 206: None, 401: None, 404: None, 416: None},
)
@requires(Role.BETTOR)
def get_video(analysis_id: str) -> Response:
    w = wiring()
    video = evidence.kept_video(w.read_uow(), principal(), analysis_id)
    body = wrap_file(request.environ, w.storage.open(video.key))
    response = Response(body, mimetype=video.content_type, direct_passthrough=True)
    response.headers["Cache-Control"] = f"private, max-age={FRAME_MAX_AGE}"
    try:
        # Size from the row: the storage body need not be a local file (S3 streams it).
        response.make_conditional(request, accept_ranges=True, complete_length=video.size_bytes)
    except Exception:  # e.g. 416 for a range past the end: the body is never sent
        response.close()
        raise
    return response
