"""The security headers of a static site, written once: CloudFront's response headers policy and the local
cloud's server both take them from here, so the page is tested under the headers it is served with.

Pure Python (no Pulumi): `security_headers(csp)` gives each header's value as a browser receives it;
`response_headers_policy_config(csp)` gives the same headers as `aws.cloudfront.ResponseHeadersPolicy`'s
`security_headers_config`, and `headers_of_policy_config` reads them back, so a test can prove the two agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

#: Two years, with subdomains: what hstspreload.org asks for.
HSTS_MAX_AGE_SECONDS = 63_072_000
FRAME_OPTION = "DENY"
#: The page never needs to tell another origin where a customer came from.
REFERRER_POLICY = "no-referrer"


def content_security_policy(connect_sources: Sequence[str]) -> str:
    """A CSP for a page made of same-origin files only: no inline script or style ('unsafe-inline' never),
    no eval, no plugins, no framing, no form posts; fetch and WebSocket only to `connect_sources`.

    'self' stays in connect-src because the page reads its own config.json (a fetch is a connection).
    """
    problems = [source for source in connect_sources if not source or any(ch in source for ch in " ;,'\"")]
    if problems or not connect_sources:
        raise ValueError(
            f"connect sources must be URLs without spaces, quotes, ';' or ',', got {list(connect_sources)}"
        )
    directives = (
        ("default-src", "'none'"),
        ("script-src", "'self'"),
        ("style-src", "'self'"),
        ("img-src", "'self'"),
        ("connect-src", " ".join(("'self'", *connect_sources))),
        ("base-uri", "'none'"),
        ("form-action", "'none'"),
        ("frame-ancestors", "'none'"),
        ("object-src", "'none'"),
    )
    return "; ".join(f"{name} {value}" for name, value in directives)


def security_headers(csp: str) -> dict[str, str]:
    """Each header and its value, exactly as the browser receives it from CloudFront."""
    return {
        "Strict-Transport-Security": f"max-age={HSTS_MAX_AGE_SECONDS}; includeSubDomains; preload",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": FRAME_OPTION,
        "Referrer-Policy": REFERRER_POLICY,
        "Content-Security-Policy": csp,
    }


def response_headers_policy_config(csp: Any) -> dict[str, Any]:
    """`security_headers_config` of a CloudFront response headers policy: the same headers, overriding any
    the origin sends. `csp` may be a Pulumi Output."""
    return {
        "strict_transport_security": {
            "access_control_max_age_sec": HSTS_MAX_AGE_SECONDS,
            "include_subdomains": True,
            "preload": True,
            "override": True,
        },
        "content_type_options": {"override": True},
        "frame_options": {"frame_option": FRAME_OPTION, "override": True},
        "referrer_policy": {"referrer_policy": REFERRER_POLICY, "override": True},
        "content_security_policy": {"content_security_policy": csp, "override": True},
    }


def headers_of_policy_config(config: Mapping[str, Any]) -> dict[str, str]:
    """The headers CloudFront sends for a `security_headers_config` (snake_case, as declared, or camelCase,
    as the engine records it)."""

    def get(mapping: Mapping[str, Any], snake: str) -> Any:
        parts = snake.split("_")
        camel = parts[0] + "".join(part.title() for part in parts[1:])
        return mapping[snake] if snake in mapping else mapping[camel]

    hsts = get(config, "strict_transport_security")
    hsts_value = f"max-age={int(get(hsts, 'access_control_max_age_sec'))}"
    hsts_value += "; includeSubDomains" if get(hsts, "include_subdomains") else ""
    hsts_value += "; preload" if get(hsts, "preload") else ""
    headers = {"Strict-Transport-Security": hsts_value}
    if get(config, "content_type_options") is not None:
        headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = str(get(get(config, "frame_options"), "frame_option"))
    headers["Referrer-Policy"] = str(get(get(config, "referrer_policy"), "referrer_policy"))
    headers["Content-Security-Policy"] = str(get(get(config, "content_security_policy"), "content_security_policy"))
    return headers
