"""AWS Rekognition Video label detection behind the AnalysisBackend port.

boto3 is imported here, not by streambet.vision.backends: the registry loads this
package only when STREAMBET_ANALYSIS_BACKEND=rekognition.
"""

from streambet.vision.rekognition.engine import RekognitionEngine, RekognitionResult
from streambet.vision.rekognition.errors import (
    AccessDenied,
    CredentialsProblem,
    DeadlineExceeded,
    JobFailed,
    RekognitionConfigError,
    RekognitionError,
    ResultsUnavailable,
    ServiceError,
    VideoRejected,
)
from streambet.vision.rekognition.recorded import load_recorded_pages, load_recorded_timeline
from streambet.vision.rekognition.settings import RekognitionConfig

__all__ = [
    "AccessDenied",
    "CredentialsProblem",
    "DeadlineExceeded",
    "JobFailed",
    "RekognitionConfig",
    "RekognitionConfigError",
    "RekognitionEngine",
    "RekognitionError",
    "RekognitionResult",
    "ResultsUnavailable",
    "ServiceError",
    "VideoRejected",
    "load_recorded_pages",
    "load_recorded_timeline",
]
