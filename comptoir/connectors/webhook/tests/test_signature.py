import hashlib
import hmac

from comptoir.connectors.webhook.client import WebhookConnector, sign, verify_signature

BODY = b'{"id":"a","text":"Bonjour"}'
TS = "1767225600"  # 2026-01-01T00:00:00Z
NOW = 1767225600.0
# Computed with `openssl dgst -sha256 -hmac <secret>`, independently of our code.
OPENSSL_BODY_ONLY = "50b79f3e50a446734a7140ca7318099e8255c51afc5b877bff35f2ebbe4860b8"
OPENSSL_WITH_TIMESTAMP = "6a7a3eca09ffdf2b8bbfeb77293f6acc59ede4db2acae417af6636afb8477136"


def test_it_signs_like_openssl_does(secret):
    assert sign(secret, BODY) == "sha256=" + OPENSSL_BODY_ONLY
    assert sign(secret, BODY, TS) == "sha256=" + OPENSSL_WITH_TIMESTAMP


def test_it_accepts_a_body_signature_without_timestamp(secret):
    assert verify_signature(secret, BODY, "sha256=" + OPENSSL_BODY_ONLY)


def test_it_accepts_a_fresh_timestamped_signature(secret):
    assert verify_signature(secret, BODY, "sha256=" + OPENSSL_WITH_TIMESTAMP, TS, now=NOW + 299)


def test_it_accepts_upper_case_hex_and_surrounding_spaces(secret):
    assert verify_signature(secret, BODY, "  SHA256=" + OPENSSL_BODY_ONLY.upper() + " ")


def test_it_refuses_a_timestamp_older_than_five_minutes(secret):
    assert not verify_signature(secret, BODY, "sha256=" + OPENSSL_WITH_TIMESTAMP, TS, now=NOW + 301)


def test_it_refuses_a_timestamp_far_in_the_future(secret):
    assert not verify_signature(secret, BODY, "sha256=" + OPENSSL_WITH_TIMESTAMP, TS, now=NOW - 301)


def test_it_refuses_a_replayed_body_with_a_new_timestamp(secret):
    # The attacker reuses an old signature but changes the timestamp header to pass the age check.
    assert not verify_signature(
        secret, BODY, "sha256=" + OPENSSL_WITH_TIMESTAMP, "1767225900", now=1767225900.0
    )


def test_it_refuses_a_tampered_body(secret):
    assert not verify_signature(secret, BODY + b" ", "sha256=" + OPENSSL_BODY_ONLY)


def test_it_refuses_another_secret(secret):
    assert not verify_signature("another-secret-another-secret", BODY, "sha256=" + OPENSSL_BODY_ONLY)


def test_it_refuses_malformed_headers_without_raising(secret):
    good = OPENSSL_BODY_ONLY
    for header in [
        "",
        None,
        good,
        "sha1=" + good,
        "sha256",
        "sha256=",
        "sha256=zz" + good[2:],
        "sha256=" + good[:-1],
        "sha256=é" + good[1:],
        "sha256=" + good + "," + good,
    ]:
        assert not verify_signature(secret, BODY, header), header


def test_it_refuses_malformed_timestamps(secret):
    for ts in ["", "abc", "-1767225600", "1767225600.5", "١٧٦٧٢٢٥٦٠٠", "9" * 40]:
        header = sign(secret, BODY, ts)
        assert not verify_signature(secret, BODY, header, ts, now=NOW), ts


def test_it_refuses_everything_when_the_secret_is_empty():
    header = "sha256=" + hmac.new(b"", BODY, hashlib.sha256).hexdigest()
    assert not verify_signature("", BODY, header)


def test_the_channel_requires_a_timestamp_by_default(secret):
    connector = WebhookConnector(config={}, credentials={"secret": secret})
    assert not connector.verify_request(BODY, {"X-Comptoir-Signature": "sha256=" + OPENSSL_BODY_ONLY})
    assert connector.verify_request(
        BODY,
        {"x-comptoir-signature": "sha256=" + OPENSSL_WITH_TIMESTAMP, "X-COMPTOIR-TIMESTAMP": TS},
        now=NOW + 10,
    )


def test_a_channel_can_accept_body_only_signatures(secret):
    connector = WebhookConnector(config={"require_timestamp": False}, credentials={"secret": secret})
    assert connector.verify_request(BODY, {"X-Comptoir-Signature": "sha256=" + OPENSSL_BODY_ONLY})
    assert not connector.verify_request(BODY, {})
