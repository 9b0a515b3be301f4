"""Twitch Helix Predictions over HTTP: create one, and lock, resolve or cancel it. Errors
come back as our domain errors; the token is sent only in its header, never in a message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests

from streambet.domain.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    StreamBetError,
    Unavailable,
    ValidationFailed,
)


@dataclass(frozen=True)
class Prediction:
    id: str
    status: str  # ACTIVE | LOCKED | RESOLVED | CANCELED
    outcome_ids: tuple[str, ...]  # in the order the outcomes were sent


class HelixClient:
    def __init__(self, base_url: str, client_id: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.timeout = timeout
        self._http = requests.Session()

    def create_prediction(
        self, token: str, broadcaster_id: str, title: str, outcomes: list[str], window_s: int
    ) -> Prediction:
        body = {
            "broadcaster_id": broadcaster_id,
            "title": title,
            "outcomes": [{"title": t} for t in outcomes],
            "prediction_window": window_s,
        }
        return self._call("POST", token, body)

    def end_prediction(
        self,
        token: str,
        broadcaster_id: str,
        prediction_id: str,
        status: str,
        winning_outcome_id: str | None = None,
    ) -> Prediction:
        """status: LOCKED, RESOLVED (with `winning_outcome_id`) or CANCELED."""
        body: dict[str, Any] = {
            "broadcaster_id": broadcaster_id,
            "id": prediction_id,
            "status": status,
        }
        if winning_outcome_id is not None:
            body["winning_outcome_id"] = winning_outcome_id
        return self._call("PATCH", token, body)

    def _call(self, method: str, token: str, body: dict[str, Any]) -> Prediction:
        headers = {"Authorization": f"Bearer {token}", "Client-Id": self.client_id}
        try:
            r = self._http.request(
                method,
                f"{self.base_url}/predictions",
                json=body,
                headers=headers,
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise Unavailable(f"Twitch did not answer ({type(exc).__name__}).") from None
        if r.status_code >= 400:
            raise _error(r)
        try:
            item = r.json()["data"][0]
            return Prediction(
                str(item["id"]), str(item["status"]), tuple(str(o["id"]) for o in item["outcomes"])
            )
        except (ValueError, KeyError, IndexError, TypeError):
            raise Unavailable("Twitch answered in an unexpected shape.") from None


def _error(r: requests.Response) -> StreamBetError:
    try:
        said = str(r.json().get("message", ""))[:200]
    except ValueError:
        said = ""
    message = f"Twitch refused ({r.status_code}): {said}".rstrip(": ")
    if r.status_code in (401, 403):
        return PermissionDenied(message)
    if r.status_code == 400:
        return ValidationFailed(message)
    if r.status_code == 404:
        return NotFound(message)
    if r.status_code == 409:
        return Conflict(message)
    return Unavailable(message)
