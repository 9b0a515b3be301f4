"""Waiting by SNS -> SQS notice instead of polling: moto's SQS in server mode is the queue,
the Stubber plays Rekognition (it is told the channel in StartLabelDetection)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from streambet.vision.backends import AnalysisOptions
from tests.integration.rekognition.conftest import REGION, keys
from tests.integration.rekognition.test_engine import IN_PROGRESS, JOB, get_params, label, page

TOPIC = "arn:aws:sns:eu-west-1:123456789012:rekognition-done"
ROLE = "arn:aws:iam::123456789012:role/rekognition-publish"


def notice(job_id: str, status: str = "SUCCEEDED") -> str:
    """The SNS envelope around Rekognition's completion notice, as SQS delivers it."""
    inner = {
        "JobId": job_id,
        "Status": status,
        "API": "StartLabelDetection",
        "JobTag": "streambet-job-42",
        "Timestamp": 1764216000000,
        "Video": {"S3ObjectName": "video.mp4", "S3Bucket": "streambet-test"},
    }
    return json.dumps({"Type": "Notification", "TopicArn": TOPIC, "Message": json.dumps(inner)})


@pytest.mark.parametrize("notice_runs_ahead", [False, True])
def test_waits_for_its_own_notice_and_leaves_other_jobs_notices(
    harness: Any, videos: dict[str, Path], moto_url: str, s3: Any, notice_runs_ahead: bool
) -> None:
    sqs = boto3.client("sqs", endpoint_url=moto_url, region_name=REGION)
    queue_url = sqs.create_queue(QueueName="rekognition-done")["QueueUrl"]
    other_job = "f" * 64
    sqs.send_message(QueueUrl=queue_url, MessageBody=notice(other_job))
    sqs.send_message(QueueUrl=queue_url, MessageBody="not json at all")
    sqs.send_message(QueueUrl=queue_url, MessageBody=notice(JOB))
    h = harness(sqs_client=sqs, sns_topic_arn=TOPIC, role_arn=ROLE, sqs_queue_url=queue_url)
    h.stub.add_response("start_label_detection", {"JobId": JOB})
    if notice_runs_ahead:  # GetLabelDetection has not caught up with the notice yet
        h.stub.add_response("get_label_detection", IN_PROGRESS, get_params())
    h.stub.add_response("get_label_detection", page([label(0, "Person", 90.0)]), get_params())

    result = h.engine.run(videos["small"], AnalysisOptions(job_id="job-42"))

    h.stub.assert_no_pending_responses()
    assert h.start_request["NotificationChannel"] == {"SNSTopicArn": TOPIC, "RoleArn": ROLE}
    assert [s.name for s in result.timeline.samples] == ["Person"]
    # No polling before the notice; after it, only until the job reads as finished.
    assert len(h.requests["GetLabelDetection"]) == 1 + notice_runs_ahead
    bodies: list[str] = []
    for _ in range(3):  # the others come back after their short bounce
        left = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=5)
        bodies += [m["Body"] for m in left.get("Messages", [])]
        if len(bodies) >= 2:
            break
    bodies.sort()
    assert bodies == sorted([notice(other_job), "not json at all"])
    assert keys(h.s3) == []
    sqs.close()
