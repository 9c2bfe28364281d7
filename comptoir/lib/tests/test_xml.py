"""parse_xml refuses entity tricks; the external-reference tests use a local server as bait."""

import pytest

from comptoir.lib.xml import InvalidXML, UnsafeXML, parse_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""

XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss><channel><title>&xxe;</title></channel></rss>"""


def test_it_parses_a_feed_and_returns_the_root_element():
    root = parse_xml(
        b'<?xml version="1.0" encoding="utf-8"?>'
        b'<rss version="2.0"><channel><title>Caf\xc3\xa9 du coin</title><item><title>Un</title></item>'
        b"<item><title>Deux</title></item></channel></rss>"
    )
    assert root.tag == "rss"
    assert root.get("version") == "2.0"
    assert root.findtext("channel/title") == "Café du coin"
    assert [item.findtext("title") for item in root.iter("item")] == ["Un", "Deux"]


def test_it_honours_the_encoding_declared_by_the_document():
    root = parse_xml(b'<?xml version="1.0" encoding="iso-8859-1"?><title>cr\xe8me</title>')
    assert root.text == "crème"


def test_it_keeps_namespaces_in_tag_names():
    root = parse_xml(b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>')
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"


def test_it_refuses_the_billion_laughs_entity_expansion():
    with pytest.raises(UnsafeXML) as caught:
        parse_xml(BILLION_LAUGHS)
    assert "entities" in caught.value.message


def test_it_refuses_an_external_entity_reading_a_local_file():
    with pytest.raises(UnsafeXML) as caught:
        parse_xml(XXE_FILE)
    assert "root:" not in str(caught.value)


def test_it_refuses_a_parameter_entity_loading_an_external_dtd_without_fetching_it(httpserver):
    httpserver.expect_request("/evil.dtd").respond_with_data('<!ENTITY leak "pwned">')
    document = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % ext SYSTEM "{httpserver.url_for("/evil.dtd")}"> %ext;]>'
        "<r>&leak;</r>"
    ).encode()
    with pytest.raises(UnsafeXML):
        parse_xml(document)
    assert httpserver.log == []


def test_it_never_loads_an_external_dtd_named_in_the_doctype(httpserver):
    httpserver.expect_request("/evil.dtd").respond_with_data('<!ENTITY leak "pwned">')
    document = f'<?xml version="1.0"?><!DOCTYPE r SYSTEM "{httpserver.url_for("/evil.dtd")}"><r>safe</r>'
    assert parse_xml(document.encode()).text == "safe"
    assert httpserver.log == []


def test_it_accepts_the_doctype_of_old_rss_091_feeds():
    root = parse_xml(
        b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        b'"http://my.netscape.com/publish/formats/rss-0.91.dtd">'
        b'<rss version="0.91"><channel><title>Old</title></channel></rss>'
    )
    assert root.findtext("channel/title") == "Old"


@pytest.mark.parametrize(
    "document", [b"", b"<rss>", b"<html><body>Not XML<br></body></html>", b"<r>&nbsp;</r>", b"\xff\xfe\x00"]
)
def test_it_reports_malformed_documents_as_invalid_xml(document):
    with pytest.raises(InvalidXML) as caught:
        parse_xml(document)
    assert "not valid XML" in caught.value.message


def test_both_errors_are_value_errors_for_callers_that_catch_broadly():
    assert issubclass(UnsafeXML, ValueError)
    assert issubclass(InvalidXML, ValueError)
    with pytest.raises(ValueError):
        parse_xml(BILLION_LAUGHS)
