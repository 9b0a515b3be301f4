"""HTTP hardening on every response and request: security headers, and a URL length limit
below gunicorn's, so an over-long URL is a 414 in the error envelope.

The Content-Security-Policy is what the single-page app needs and no more: its scripts,
styles and images come from this origin (styles change only through the CSSOM, which a
policy without 'unsafe-inline' allows), evidence frames and video are same-origin or
blob:, and its one WebSocket is same-origin ('self' covers ws: and wss: of this host).
With Stripe deposits on, the wallet page loads Stripe.js, whose card form is Stripe's
own frame (card numbers never touch this origin): Stripe's documented origins are added
to script-src, frame-src and connect-src then, and only then.
"""

from __future__ import annotations

from flask import Flask, Response, request

from streambet.api.errors import error_response

MAX_URL_BYTES = 4096  # path and query; gunicorn's own request-line limit sits above it

STRIPE_JS = "https://js.stripe.com"
STRIPE_FRAMES = "https://js.stripe.com https://hooks.stripe.com"
STRIPE_API = "https://api.stripe.com"


def content_security_policy(stripe: bool = False) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' {STRIPE_JS}" if stripe else "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob:",
            f"connect-src 'self' {STRIPE_API}" if stripe else "connect-src 'self'",
            f"frame-src {STRIPE_FRAMES}" if stripe else "frame-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


CSP = content_security_policy()
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def install(app: Flask, *, stripe: bool = False) -> None:
    headers = {**HEADERS, "Content-Security-Policy": content_security_policy(stripe)}

    @app.before_request
    def _url_length() -> Response | None:
        raw = request.environ.get("RAW_URI") or request.full_path
        if len(raw.encode("latin-1", "replace")) > MAX_URL_BYTES:
            return error_response(
                414,
                "uri_too_long",
                f"The URL is longer than {MAX_URL_BYTES} bytes.",
                {"limit_bytes": MAX_URL_BYTES},
            )
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response
