"""Live sources: a stream URL -> pictures and sound stamped with wall-clock time.

`source.py` reads any URL FFmpeg can (HLS/LL-HLS, RTMP, RTSP over TCP, SRT, MPEG-TS over
HTTP) and `replay:` files at their real pace; `resolve.py` turns Twitch channels
(streamlink) and Kinesis Video streams (GetHLSStreamingSessionURL) into HLS URLs;
`follow.py` keeps a source open: timeouts, reconnects with backoff, giving up. Nothing
here knows the app: the live job (streambet.services.live_runs) drives it.
"""
