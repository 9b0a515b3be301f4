"""A local cluster from real parts (`make cluster`): HAProxy in front of web nodes, worker
nodes, PostgreSQL, Redis and an S3 endpoint, under supervisord. It runs the app's
commands as separate processes and imports nothing of the app itself."""
