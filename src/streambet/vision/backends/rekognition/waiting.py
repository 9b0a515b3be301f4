"""Waiting for a label-detection job: by polling GetLabelDetection with backoff and
jitter, or by an SNS topic delivering into an SQS queue. Both stop at the overall
deadline and at the cancel flag, and both return the first result page once the job is
SUCCEEDED or FAILED (polling asks for a full page, so that answer is reused as page 1)."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streambet.vision.backends import CancelFlag
from streambet.vision.backends.rekognition.calls import call_aws
from streambet.vision.backends.rekognition.errors import DeadlineExceeded
from streambet.vision.backends.rekognition.timing import Backoff, Clock, Deadline, check_cancel

log = logging.getLogger(__name__)

TERMINAL = ("SUCCEEDED", "FAILED")
GET_ACTION = "rekognition:GetLabelDetection"
Page = dict[str, Any]


@dataclass
class WaitContext:
    job_id: str
    get_page: Callable[[], Page]  # GetLabelDetection for page 1
    deadline: Deadline
    clock: Clock
    rng: random.Random
    cancel: CancelFlag | None
    on_tick: Callable[[], None]  # called after each wait, to report progress

    def poll(self) -> Page:
        return call_aws(
            self.get_page,
            GET_ACTION,
            deadline=self.deadline,
            clock=self.clock,
            rng=self.rng,
            cancel=self.cancel,
            job_id=self.job_id,
        )

    def too_late(self) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"Rekognition job {self.job_id} did not finish within the"
            f" {self.deadline.seconds:.0f} s deadline.",
            job_id=self.job_id,
        )


def wait_by_polling(ctx: WaitContext, *, initial: float = 5.0, cap: float = 60.0) -> Page:
    backoff = Backoff(initial, cap, ctx.rng)
    while True:
        page = ctx.poll()
        if page.get("JobStatus") in TERMINAL:
            return page
        remaining = ctx.deadline.remaining()
        if remaining <= 0:
            raise ctx.too_late()
        ctx.clock.sleep(min(backoff.next(), remaining), ctx.cancel)
        ctx.on_tick()


def notice_for(message_body: str) -> dict[str, Any] | None:
    """The Rekognition completion notice inside an SQS message body: either the SNS
    envelope (`{"Type": "Notification", "Message": "<json>"}`) or, with raw message
    delivery on, the notice itself. None for anything else."""
    try:
        body = json.loads(message_body)
        if isinstance(body, dict) and isinstance(body.get("Message"), str):
            body = json.loads(body["Message"])
    except ValueError:
        return None
    if isinstance(body, dict) and "JobId" in body and "Status" in body:
        return body
    return None


def wait_by_notification(
    ctx: WaitContext,
    sqs: Any,
    queue_url: str,
    *,
    receive_wait_seconds: int = 10,
    fallback_poll_seconds: float = 300.0,
    bounce_seconds: int = 2,
) -> Page:
    """Long-poll the queue for our job's notice; ours is deleted. Other messages (other
    jobs' notices when workers share a queue, or junk) become visible again after
    `bounce_seconds`: soon enough for their owner, late enough that we do not spin on
    them (junk ends in the queue's dead-letter queue via its redrive policy). A status
    poll every `fallback_poll_seconds` covers a lost notice (a misconfigured topic or
    queue policy)."""
    last_poll = ctx.clock.monotonic()
    while True:
        check_cancel(ctx.cancel)
        remaining = ctx.deadline.remaining()
        if remaining <= 0:
            page = ctx.poll()  # one last look before giving up
            if page.get("JobStatus") in TERMINAL:
                return page
            raise ctx.too_late()
        wait = max(0, min(receive_wait_seconds, int(remaining)))

        def receive(wait: int = wait) -> dict[str, Any]:
            response: dict[str, Any] = sqs.receive_message(
                QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait
            )
            return response

        response = call_aws(
            receive,
            "sqs:ReceiveMessage",
            deadline=ctx.deadline,
            clock=ctx.clock,
            rng=ctx.rng,
            cancel=ctx.cancel,
            job_id=ctx.job_id,
        )
        ours = False
        for message in response.get("Messages", ()):
            notice = notice_for(message.get("Body", ""))
            handle = message["ReceiptHandle"]
            if notice is not None and notice.get("JobId") == ctx.job_id:
                _sqs_call(ctx, "sqs:DeleteMessage", sqs.delete_message, handle, queue_url)
                log.info("job %s: notified %s", ctx.job_id, notice.get("Status"))
                ours = True
            else:
                _sqs_call(
                    ctx,
                    "sqs:ChangeMessageVisibility",
                    sqs.change_message_visibility,
                    handle,
                    queue_url,
                    VisibilityTimeout=bounce_seconds,
                )
        ctx.on_tick()
        if ours:
            # The notice can run ahead of GetLabelDetection; poll until they agree.
            return wait_by_polling(ctx, initial=1.0, cap=10.0)
        now = ctx.clock.monotonic()
        if now - last_poll >= fallback_poll_seconds:
            last_poll = now
            page = ctx.poll()
            if page.get("JobStatus") in TERMINAL:
                return page
        elif not response.get("Messages") and wait == 0:
            ctx.clock.sleep(min(1.0, max(0.0, remaining)), ctx.cancel)


def _sqs_call(
    ctx: WaitContext, action: str, fn: Callable[..., Any], handle: str, url: str, **kw: Any
) -> None:
    call_aws(
        lambda: fn(QueueUrl=url, ReceiptHandle=handle, **kw),
        action,
        deadline=ctx.deadline,
        clock=ctx.clock,
        rng=ctx.rng,
        cancel=ctx.cancel,
        job_id=ctx.job_id,
    )
