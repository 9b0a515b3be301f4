"""Why a live source cannot be read."""


class SourceRefused(Exception):
    """The source, or a host it sends the reader to, may not be connected to (the URL
    policy). Retrying does not help; the message says why."""
