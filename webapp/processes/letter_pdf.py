"""A letter's HTML as a PDF (xhtml2pdf over reportlab: pure Python, installed from PyPI).

The HTML has been checked (``engine.letter_template``) to load nothing; the PDF maker is told so
again: every link is answered with an empty inline resource, and its resource policy denies
network and local reads and bounds the render (size, depth, time).

xhtml2pdf (with reportlab and pypdf) is imported when a letter is first made, not when this
module is: it took about 0.5 s of CPU, which every process paid at start (each web and worker
process, every management command) through the URL configuration, mostly never to make a
letter."""

from __future__ import annotations

import logging
from io import BytesIO
from typing import Any

from engine.letter_template import MAX_LETTER_HTML, LetterProblem

log = logging.getLogger(__name__)
_NOTHING = "data:text/plain,"


def _load_nothing(uri: Any, rel: Any) -> str:
    """xhtml2pdf's link callback: whatever a document names, it gets nothing."""
    return _NOTHING


def _policy() -> Any:
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    return ResourceAccessPolicy.server(
        None, allow_remote=False, max_resources=0, max_total_bytes=0, max_render_seconds=30,
        max_document_bytes=MAX_LETTER_HTML * 4, max_depth=60, max_image_pixels=0)


def html_pdf(html: str) -> bytes:
    """The PDF of checked letter HTML; LetterProblem when the PDF maker fails on it."""
    from xhtml2pdf import pisa

    out = BytesIO()
    try:
        result = pisa.CreatePDF(html, dest=out, link_callback=_load_nothing,
                                resource_policy=_policy(), raise_exception=False)
    except Exception as exc:  # noqa: BLE001 - any failure of the PDF maker is the template's
        log.warning("letter pdf failed: %s", type(exc).__name__)
        raise LetterProblem("the PDF could not be made from this template "
                            f"({type(exc).__name__})") from None
    if result.err:
        log.warning("letter pdf failed: %s error(s)", result.err)
        raise LetterProblem("the PDF could not be made from this template: check that its "
                            "tags are closed and its styles are simple")
    return out.getvalue()
