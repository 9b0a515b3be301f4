"""Secrets at rest (a stream's Twitch token): Fernet (AES-CBC + HMAC) with a key derived
from the app's secret key, so a database dump alone does not reveal them."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from streambet.domain.errors import Conflict


class TokenBox:
    def __init__(self, secret_key: str, purpose: str = "twitch-token") -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            # the secret key changed since it was stored: the operator connects again
            raise Conflict("The stored Twitch token cannot be read: connect again.") from None
