"""AWS Rekognition Video label detection behind the AnalysisBackend port.

Import-light on purpose: `config` is read when the app builds the backend's settings, and
only `engine` imports boto3 (the registry loads it when this backend is asked for).
"""
