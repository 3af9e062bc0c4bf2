"""Uploaded XML is hostile: XXE, entity bombs, oversized and deep documents are refused clearly."""

from __future__ import annotations

import pytest

from engine import DefinitionInvalid, load_files
from engine.xml_safety import MAX_DEPTH, MAX_FILE_BYTES, XmlProblem, parse_xml

SECRET = "TOP-SECRET-CANARY-7f3a"  # noqa: S105 - a canary, not a credential


@pytest.fixture
def secret_file(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


def _xxe(path) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file://{path}">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" isExecutable="true">
    <bpmn:scriptTask id="s"><bpmn:script>leak = "&xxe;"</bpmn:script></bpmn:scriptTask>
  </bpmn:process>
</bpmn:definitions>""".encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz>&lol9;</lolz>"""


def test_xxe_upload_is_rejected_without_leaking_the_file(secret_file):
    with pytest.raises(DefinitionInvalid) as caught:
        load_files({"evil.bpmn": _xxe(secret_file)}, "p")
    message = str(caught.value) + " ".join(str(p) for p in caught.value.problems)
    assert "DOCTYPE" in message
    assert "evil.bpmn" in message
    assert SECRET not in message


def test_billion_laughs_is_rejected_quickly():
    with pytest.raises(XmlProblem, match="DOCTYPE and ENTITY declarations are not allowed"):
        parse_xml(BILLION_LAUGHS, "bomb.bpmn")


def test_doctype_without_entities_is_still_rejected():
    with pytest.raises(XmlProblem, match="DOCTYPE"):
        parse_xml(b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd"><x/>',
                  "remote.bpmn")


def test_doctype_after_a_long_comment_is_still_rejected():
    payload = b"<?xml version='1.0'?><!--" + b"x" * 10_000 + b"--><!DOCTYPE x><x/>"
    with pytest.raises(XmlProblem):
        parse_xml(payload, "hidden.bpmn")


def test_oversized_upload_is_rejected_with_the_limit_in_the_message():
    big = b"<x>" + b"a" * (MAX_FILE_BYTES + 1) + b"</x>"
    with pytest.raises(XmlProblem, match="the limit is"):
        parse_xml(big, "big.bpmn")


def test_deeply_nested_upload_is_rejected():
    deep = b"<a>" * (MAX_DEPTH + 5) + b"</a>" * (MAX_DEPTH + 5)
    with pytest.raises(XmlProblem, match="nested more than"):
        parse_xml(deep, "deep.bpmn")


def test_malformed_xml_reports_its_line():
    with pytest.raises(XmlProblem) as caught:
        parse_xml(b"<?xml version='1.0'?>\n<a>\n<b>\n</a>", "broken.bpmn")
    assert caught.value.line == 4
    assert "not well-formed" in caught.value.message


def test_xinclude_is_not_processed(secret_file):
    doc = (f'<x xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="{secret_file}" '
           f'parse="text"/></x>').encode()
    root = parse_xml(doc, "xi.bpmn")
    assert SECRET not in (root.xpath("string()") or "")
