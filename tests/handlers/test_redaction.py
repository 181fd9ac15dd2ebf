"""The handlers' logger never writes a payment token or an email address, whatever is logged."""

from __future__ import annotations

import io
import json
import logging

from handlers.shared.redaction import MASK, redact, redacting_logger


def test_sensitive_keys_are_masked_at_any_depth_and_emails_anywhere() -> None:
    record = {
        "message": "mail to ada.l@example.co.uk failed",
        "paymentToken": "tok_visa",
        "extra": {"Email": "x@y.io", "payment_token": "tok_1", "orderId": "o-1", "lines": [{"token": "t"}]},
    }

    assert redact(record) == {
        "message": f"mail to {MASK} failed",
        "paymentToken": MASK,
        "extra": {"Email": MASK, "payment_token": MASK, "orderId": "o-1", "lines": [{"token": MASK}]},
    }


def test_a_logged_event_and_exception_come_out_redacted() -> None:
    stream = io.StringIO()
    logger = redacting_logger(service="redaction-test", logger_handler=logging.StreamHandler(stream))
    logger.append_keys(customer_email="ada@example.com")

    logger.info("placing", extra={"body": {"email": "ada@example.com", "paymentToken": "tok_secret_42"}})
    try:
        raise ValueError("no route to ada@example.com")
    except ValueError:
        logger.exception("failed")

    text = stream.getvalue()
    assert "ada@example.com" not in text
    assert "tok_secret_42" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["body"] == {"email": MASK, "paymentToken": MASK}
    assert lines[0]["customer_email"] == MASK
    assert "ValueError" in lines[1]["exception"]


def test_an_address_with_an_apostrophe_is_masked_whole() -> None:
    # The local part before the apostrophe is part of the address: masking only "brien@..." would leak "o'".
    assert redact("mail to o'brien@example.com bounced") == f"mail to {MASK} bounced"
    assert redact('{"to": "o\'brien@example.com"}') == f'{{"to": "{MASK}"}}'
