"""safe_fetch against real local servers (loopback only; DNS is faked by the fake_dns fixture)."""

import datetime
import gzip
import json
import socket
import ssl
import time
import zlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from comptoir.lib.fetch import (
    BadResponse,
    BlockedTarget,
    FetchError,
    FetchResponse,
    FetchTimeout,
    NetworkError,
    TooLarge,
    safe_fetch,
)

pytestmark = pytest.mark.usefixtures("fake_dns")


def fetch(url, **kwargs):
    kwargs.setdefault("allow_private", True)  # the test peers live on loopback
    kwargs.setdefault("timeout", 5)
    return safe_fetch(url, **kwargs)


# --- Basics -----------------------------------------------------------------------------------


def test_it_fetches_a_page_from_a_local_server_when_private_targets_are_allowed(httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(
        "<rss/>", content_type="application/rss+xml", headers={"ETag": '"v1"'}
    )
    response = fetch(httpserver.url_for("/feed.xml"))
    assert isinstance(response, FetchResponse)
    assert response.status == 200
    assert response.ok
    assert response.content == b"<rss/>"
    assert response.headers["etag"] == '"v1"'
    assert response.headers["ETAG"] == '"v1"'
    assert response.url == httpserver.url_for("/feed.xml")
    assert response.redirects == ()


def test_it_refuses_a_local_server_unless_private_targets_are_allowed(httpserver, settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = False
    httpserver.expect_request("/").respond_with_data("secret")
    with pytest.raises(BlockedTarget):
        safe_fetch(httpserver.url_for("/"))
    assert httpserver.log == []  # refused before connecting


def test_it_reads_allow_private_from_the_settings(httpserver, settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True
    httpserver.expect_request("/").respond_with_data("ok")
    assert safe_fetch(httpserver.url_for("/")).content == b"ok"


def test_it_sends_the_comptoir_user_agent_unless_told_otherwise(httpserver, settings):
    settings.COMPTOIR_FETCH_USER_AGENT = "Comptoir/test"
    httpserver.expect_ordered_request("/", headers={"User-Agent": "Comptoir/test"}).respond_with_data("a")
    httpserver.expect_ordered_request("/", headers={"User-Agent": "Other/1"}).respond_with_data("b")
    assert fetch(httpserver.url_for("/")).content == b"a"
    assert fetch(httpserver.url_for("/"), user_agent="Other/1").content == b"b"


def test_it_sends_the_callers_headers_and_query_parameters(httpserver):
    httpserver.expect_request(
        "/search", query_string={"q": "comptoir", "lang": "fr"}, headers={"Accept": "application/json"}
    ).respond_with_json({"hits": 3})
    response = fetch(
        httpserver.url_for("/search?q=comptoir"), params={"lang": "fr"}, headers={"Accept": "application/json"}
    )
    assert response.json() == {"hits": 3}


def test_it_sends_form_data_raw_bytes_and_json(httpserver):
    httpserver.expect_ordered_request("/form", method="POST", data="a=1&b=deux").respond_with_data("form")
    httpserver.expect_ordered_request("/raw", method="PUT", data=b"\x00\x01").respond_with_data("raw")
    httpserver.expect_ordered_request("/json", method="POST", json={"text": "é"}).respond_with_data("json")
    assert fetch(httpserver.url_for("/form"), method="POST", data={"a": "1", "b": "deux"}).content == b"form"
    assert fetch(httpserver.url_for("/raw"), method="put", data=b"\x00\x01").content == b"raw"
    assert fetch(httpserver.url_for("/json"), method="POST", json={"text": "é"}).content == b"json"


def test_a_head_request_has_an_empty_body(httpserver):
    httpserver.expect_request("/", method="HEAD").respond_with_data("", headers={"X-Size": "12"})
    response = fetch(httpserver.url_for("/"), method="HEAD")
    assert response.status == 200
    assert response.content == b""
    assert response.headers["x-size"] == "12"


def test_it_returns_a_304_to_a_conditional_request_as_a_normal_response(httpserver):
    httpserver.expect_request("/feed", headers={"If-None-Match": '"v1"'}).respond_with_data("", status=304)
    httpserver.expect_request("/feed").respond_with_data("full body", headers={"ETag": '"v1"'})
    first = fetch(httpserver.url_for("/feed"))
    again = fetch(httpserver.url_for("/feed"), headers={"If-None-Match": first.headers["etag"]})
    assert first.status == 200
    assert again.status == 304
    assert again.content == b""
    assert again.raise_for_status() is again


def test_it_returns_error_statuses_and_raise_for_status_says_whether_to_retry(httpserver):
    httpserver.expect_request("/busy").respond_with_data("later", status=503)
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    busy = fetch(httpserver.url_for("/busy"))
    gone = fetch(httpserver.url_for("/gone"))
    assert (busy.status, busy.content, busy.ok) == (503, b"later", False)
    with pytest.raises(BadResponse) as caught:
        busy.raise_for_status()
    assert caught.value.retryable is True
    assert caught.value.status == 503
    assert "503" in caught.value.message
    with pytest.raises(BadResponse) as caught:
        gone.raise_for_status()
    assert caught.value.retryable is False
    assert caught.value.status == 404


def test_it_ignores_proxies_from_the_environment(httpserver, monkeypatch):
    # A proxy would resolve host names itself, after our check.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    httpserver.expect_request("/").respond_with_data("direct")
    assert fetch(httpserver.url_for("/")).content == b"direct"


def test_a_refused_connection_is_a_retryable_network_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError) as caught:
        fetch(f"http://127.0.0.1:{port}/")
    assert caught.value.retryable is True
    assert "127.0.0.1" in caught.value.message


# --- DNS pinning ------------------------------------------------------------------------------


def test_it_connects_to_the_address_it_checked_without_resolving_again(httpserver, fake_dns):
    answers = iter([["127.0.0.1"]])
    # A second lookup would get no answer at all and the fetch would fail.
    fake_dns.records["feeds.test"] = lambda: next(answers, [])
    httpserver.expect_request("/").respond_with_data("pinned")
    port = httpserver.port
    response = fetch(f"http://feeds.test:{port}/")
    assert response.content == b"pinned"
    assert fake_dns.lookups == ["feeds.test"]


def test_it_sends_the_host_name_not_the_address_in_the_host_header(httpserver, fake_dns):
    fake_dns.records["feeds.test"] = ["127.0.0.1"]
    port = httpserver.port
    httpserver.expect_request("/", headers={"Host": f"feeds.test:{port}"}).respond_with_data("vhost")
    assert fetch(f"http://feeds.test:{port}/", headers={"Host": "evil.test"}).content == b"vhost"


def test_it_tries_the_next_checked_address_when_the_first_refuses(httpserver, fake_dns):
    fake_dns.records["feeds.test"] = ["::1", "127.0.0.1"]  # the server listens on 127.0.0.1 only
    httpserver.expect_request("/").respond_with_data("second")
    assert fetch(f"http://feeds.test:{httpserver.port}/").content == b"second"


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS peer with a self-signed certificate for feeds.test, recording the SNI names."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "feeds.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("feeds.test")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, server_name, ctx: server_names.append(server_name)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.expect_request("/").respond_with_data("over tls")
    server.start()
    server.server_names = server_names
    yield server
    server.stop()


def test_it_verifies_certificates_against_the_host_name_it_sends_as_sni(tls_server, fake_dns):
    fake_dns.records["feeds.test"] = ["127.0.0.1"]
    with pytest.raises(NetworkError) as caught:
        fetch(f"https://feeds.test:{tls_server.port}/")
    assert caught.value.retryable is False
    assert "certificate" in caught.value.message
    assert tls_server.server_names == ["feeds.test"]
    assert tls_server.log == []


def test_the_time_budget_covers_a_slow_dns_answer(fake_dns):
    def slow_answer():
        time.sleep(0.5)
        return ["127.0.0.1"]

    fake_dns.records["slow-dns.test"] = slow_answer
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetch("http://slow-dns.test/", timeout=0.15)
    assert time.monotonic() - started < 0.45


# --- Redirects --------------------------------------------------------------------------------


def test_it_follows_redirects_and_reports_the_final_address(httpserver):
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/middle"})
    httpserver.expect_request("/middle").respond_with_data(
        "", status=302, headers={"Location": httpserver.url_for("/new")}
    )
    httpserver.expect_request("/new").respond_with_data("here")
    response = fetch(httpserver.url_for("/old"))
    assert response.content == b"here"
    assert response.url == httpserver.url_for("/new")
    assert response.redirects == (httpserver.url_for("/old"), httpserver.url_for("/middle"))


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "http://[::ffff:169.254.169.254]/", "http://0.0.0.0:80/",
     "file:///etc/passwd", "http://2130706433/", "gopher://127.0.0.1:25/"],
)
def test_it_refuses_a_redirect_to_a_forbidden_address(httpserver, location):
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": location})
    with pytest.raises(BlockedTarget):
        fetch(httpserver.url_for("/go"))
    assert len(httpserver.log) == 1


def test_it_checks_the_address_of_each_redirect_again(httpserver, fake_dns):
    # Private addresses are allowed here (the first hop is loopback), so the second hop is
    # refused by the rule that holds regardless: a name that leads to the metadata service.
    fake_dns.records["internal.test"] = ["169.254.169.254"]
    httpserver.expect_request("/go").respond_with_data(
        "", status=307, headers={"Location": "http://internal.test/admin"}
    )
    with pytest.raises(BlockedTarget, match="never fetches"):
        fetch(httpserver.url_for("/go"))
    assert fake_dns.lookups == ["internal.test"]
    assert len(httpserver.log) == 1


def test_it_gives_up_after_too_many_redirects(httpserver):
    httpserver.expect_request("/loop").respond_with_data("", status=302, headers={"Location": "/loop"})
    with pytest.raises(BadResponse) as caught:
        fetch(httpserver.url_for("/loop"), max_redirects=3)
    assert caught.value.retryable is False
    assert "redirected too many times" in caught.value.message
    assert len(httpserver.log) == 4


def test_zero_max_redirects_refuses_any_redirect(httpserver, settings):
    settings.COMPTOIR_FETCH_MAX_REDIRECTS = 0
    httpserver.expect_request("/a").respond_with_data("", status=301, headers={"Location": "/b"})
    with pytest.raises(BadResponse):
        fetch(httpserver.url_for("/a"))


def test_a_redirect_without_location_is_returned_as_is(httpserver):
    httpserver.expect_request("/odd").respond_with_data("no location", status=302)
    response = fetch(httpserver.url_for("/odd"))
    assert (response.status, response.content) == (302, b"no location")


def test_it_turns_a_post_into_a_get_without_body_after_a_303(httpserver):
    httpserver.expect_ordered_request("/submit", method="POST", json={"a": 1}).respond_with_data(
        "", status=303, headers={"Location": "/result"}
    )
    httpserver.expect_ordered_request("/result", method="GET").respond_with_data("done")
    assert fetch(httpserver.url_for("/submit"), method="POST", json={"a": 1}).content == b"done"
    second_request = httpserver.log[1][0]
    assert second_request.get_data() == b""
    assert "Content-Type" not in second_request.headers


def test_it_repeats_a_post_and_its_body_after_a_307(httpserver):
    httpserver.expect_ordered_request("/v1/hook", method="POST").respond_with_data(
        "", status=307, headers={"Location": "/v2/hook"}
    )
    httpserver.expect_ordered_request("/v2/hook", method="POST", json={"event": "ping"}).respond_with_data("ok")
    assert fetch(httpserver.url_for("/v1/hook"), method="POST", json={"event": "ping"}).content == b"ok"


def test_it_drops_credentials_when_a_redirect_leaves_the_origin(httpserver):
    # 127.0.0.1 and localhost are different origins on the same local server.
    other_origin = f"http://localhost:{httpserver.port}/landing"
    httpserver.expect_ordered_request("/start").respond_with_data("", status=302, headers={"Location": other_origin})
    httpserver.expect_ordered_request("/landing").respond_with_data("landed")
    response = fetch(
        httpserver.url_for("/start"),
        headers={"Authorization": "Bearer s3cret", "Cookie": "session=abc", "Api-Key": "d1sc0urse", "Api-Username": "system"},
    )
    assert response.content == b"landed"
    first, second = (entry[0] for entry in httpserver.log)
    assert first.headers["Authorization"] == "Bearer s3cret"
    assert "Authorization" not in second.headers
    assert "Cookie" not in second.headers
    assert first.headers["Api-Key"] == "d1sc0urse"
    assert "Api-Key" not in second.headers and "Api-Username" not in second.headers
    assert second.headers["Host"] == f"localhost:{httpserver.port}"


def test_it_keeps_credentials_on_a_redirect_within_the_origin(httpserver):
    httpserver.expect_ordered_request("/start").respond_with_data("", status=302, headers={"Location": "/api"})
    httpserver.expect_ordered_request("/api", headers={"Authorization": "Bearer s3cret"}).respond_with_data("ok")
    assert fetch(httpserver.url_for("/start"), headers={"Authorization": "Bearer s3cret"}).content == b"ok"


# --- Size cap and decompression ---------------------------------------------------------------


def test_it_refuses_a_body_announced_too_large_before_reading_it(slow_httpserver):
    def announce_big_then_stall(request: Request) -> Response:
        def body():
            yield b"x"
            time.sleep(1.5)  # a client that reads the body would wait here
            yield b"y" * 10

        return Response(body(), headers={"Content-Length": str(50 * 1024 * 1024)})

    slow_httpserver.expect_request("/big").respond_with_handler(announce_big_then_stall)
    started = time.monotonic()
    with pytest.raises(TooLarge) as caught:
        fetch(slow_httpserver.url_for("/big"), max_bytes=1000)
    assert time.monotonic() - started < 1.0
    assert caught.value.retryable is False
    assert "1000" in caught.value.message.replace("\xa0", " ").replace(",", "")


def test_it_stops_reading_a_streamed_body_when_it_crosses_the_cap(httpserver):
    def endless(request: Request) -> Response:
        return Response(b"a" * 1024 for _ in range(1000))  # no Content-Length

    httpserver.expect_request("/stream").respond_with_handler(endless)
    with pytest.raises(TooLarge):
        fetch(httpserver.url_for("/stream"), max_bytes=10_000)


def test_it_accepts_a_body_exactly_at_the_cap(httpserver):
    httpserver.expect_request("/exact").respond_with_data(b"z" * 4096)
    assert len(fetch(httpserver.url_for("/exact"), max_bytes=4096).content) == 4096
    with pytest.raises(TooLarge):
        fetch(httpserver.url_for("/exact"), max_bytes=4095)


def test_the_default_cap_comes_from_the_settings(httpserver, settings):
    settings.COMPTOIR_FETCH_MAX_BYTES = 100
    httpserver.expect_request("/").respond_with_data(b"z" * 101)
    with pytest.raises(TooLarge):
        fetch(httpserver.url_for("/"))


def _raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


TEXT = ("Le comptoir est ouvert. " * 2000).encode()


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("deflate", zlib.compress(TEXT)),
        ("deflate", _raw_deflate(TEXT)),
        ("gzip", gzip.compress(TEXT[:1000]) + gzip.compress(TEXT[1000:])),
        ("identity", TEXT),
    ],
    ids=["gzip", "x-gzip", "zlib-deflate", "raw-deflate", "two-gzip-members", "identity"],
)
def test_it_decompresses_gzip_and_deflate_bodies(httpserver, encoding, body):
    httpserver.expect_request("/", headers={"Accept-Encoding": "gzip, deflate"}).respond_with_data(
        body, headers={"Content-Encoding": encoding}
    )
    assert fetch(httpserver.url_for("/")).content == TEXT


def test_the_cap_applies_to_the_decompressed_size_of_a_gzip_bomb(httpserver):
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    megabyte = bytes(1024 * 1024)
    bomb = b"".join(compressor.compress(megabyte) for _ in range(64)) + compressor.flush()
    assert len(bomb) < 100_000  # 64 MB once decompressed
    httpserver.expect_request("/bomb").respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(TooLarge):
        fetch(httpserver.url_for("/bomb"), max_bytes=1024 * 1024)


def test_it_reports_a_damaged_compressed_body(httpserver):
    httpserver.expect_request("/").respond_with_data(
        b"\x1f\x8b\x08\x00garbage" * 10, headers={"Content-Encoding": "gzip"}
    )
    with pytest.raises(BadResponse, match="damaged"):
        fetch(httpserver.url_for("/"))


def test_it_refuses_a_compression_it_did_not_ask_for(httpserver):
    httpserver.expect_request("/").respond_with_data(b"\x0b\x02\x80hi\x03", headers={"Content-Encoding": "br"})
    with pytest.raises(BadResponse, match="br"):
        fetch(httpserver.url_for("/"))


# --- Time budget ------------------------------------------------------------------------------


def test_it_times_out_on_a_server_that_does_not_answer(slow_httpserver):
    def stall(request: Request) -> Response:
        time.sleep(1.0)
        return Response("too late")

    slow_httpserver.expect_request("/slow").respond_with_handler(stall)
    started = time.monotonic()
    with pytest.raises(FetchTimeout) as caught:
        fetch(slow_httpserver.url_for("/slow"), timeout=0.3)
    assert time.monotonic() - started < 0.8
    assert caught.value.retryable is True
    assert "0.3" in caught.value.message


def test_the_time_budget_covers_a_server_that_drips_its_body(slow_httpserver):
    def drip(request: Request) -> Response:
        def body():
            for _ in range(40):
                yield b"."
                time.sleep(0.05)  # each read is quick, the whole is not

        return Response(body())

    slow_httpserver.expect_request("/drip").respond_with_handler(drip)
    started = time.monotonic()
    with pytest.raises(FetchTimeout):
        fetch(slow_httpserver.url_for("/drip"), timeout=0.5)
    assert time.monotonic() - started < 1.0


def test_the_default_time_budget_comes_from_the_settings(slow_httpserver, settings):
    settings.COMPTOIR_FETCH_TIMEOUT_SECONDS = 0.2

    def stall(request: Request) -> Response:
        time.sleep(0.6)
        return Response("too late")

    slow_httpserver.expect_request("/slow").respond_with_handler(stall)
    with pytest.raises(FetchTimeout):
        safe_fetch(slow_httpserver.url_for("/slow"), allow_private=True)


# --- FetchResponse ----------------------------------------------------------------------------


def _response(content: bytes, content_type: str | None = None, status: int = 200) -> FetchResponse:
    import httpx

    headers = httpx.Headers({"Content-Type": content_type} if content_type else {})
    return FetchResponse(status=status, headers=headers, content=content, url="https://news.example/x")


def test_text_uses_the_charset_from_the_headers():
    assert _response("café".encode("latin-1"), "text/html; charset=ISO-8859-1").text == "café"
    assert _response("€".encode("cp1252"), "text/plain; charset=latin-1").text == "€"
    assert _response("наш".encode("koi8-r"), 'text/plain; charset="KOI8-R"').text == "наш"


def test_text_falls_back_to_utf8_and_replaces_what_it_cannot_decode():
    assert _response("crème".encode()).text == "crème"
    assert _response(b"caf\xe9", "text/plain; charset=no-such-charset").text == "caf\ufffd"


def test_text_follows_a_byte_order_mark_over_the_header():
    assert _response("bonjour".encode("utf-16"), "text/plain; charset=utf-8").text == "bonjour"
    assert _response(b"\xef\xbb\xbfsalut").text == "salut"


def test_json_raises_a_bad_response_for_invalid_json():
    assert _response(b'{"ok": true}').json() == {"ok": True}
    with pytest.raises(BadResponse, match="valid JSON") as caught:
        _response(b"<html>").json()
    assert isinstance(caught.value, FetchError)
    with pytest.raises(BadResponse):
        _response(b"[" * 100_000).json()


def test_json_reads_a_body_with_a_byte_order_mark():
    assert _response(b"\xef\xbb\xbf" + json.dumps({"a": "é"}).encode()).json() == {"a": "é"}
