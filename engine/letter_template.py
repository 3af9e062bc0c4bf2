"""Letter templates: HTML a policy lead writes, rendered in Jinja's sandbox into the HTML a PDF is
made from (docs/letters.md).

Templates are hostile input. Only a small part of Jinja is accepted (output, ``if``, ``for``,
lookups, comparisons and a few one-pass filters): no operators that can multiply a size, no
calls, no ``set``, no ``include``/``import``/``extends``/macros, so compiling folds nothing costly
and rendering is one pass over bounded case data, stopped past ``MAX_LETTER_HTML``. Values are
escaped. The rendered HTML is then read again (``markup_problem``): only plain document tags and
attributes, and no stylesheet that could fetch anything (``url(``, ``@import``, ``@font-face``),
so the PDF maker has nothing to load; it is also told to load nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree
from lxml import html as lxml_html

MAX_LETTER_TEMPLATE = 50_000
MAX_LETTER_HTML = 300_000
# Loop steps of one rendering, over every loop: a loop prints nothing past MAX_LETTER_HTML, but
# loops that print nothing could spin; this stops them.
MAX_LOOP_STEPS = 100_000

ENV = ImmutableSandboxedEnvironment(autoescape=True, undefined=ChainableUndefined)

_FILTERS = frozenset({"default", "d", "join", "length", "count", "upper", "lower", "title",
                      "capitalize", "trim", "first", "last", "e", "escape"})
_FILTERS_WITH_TEXT = frozenset({"join", "default", "d"})
_TESTS = frozenset({"defined", "undefined", "none", "true", "false", "in", "eq", "ne",
                    "string", "sequence", "mapping"})
_NODES = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.Name,
          nodes.Getattr, nodes.Getitem, nodes.If, nodes.For, nodes.CondExpr, nodes.And, nodes.Or,
          nodes.Not, nodes.Compare, nodes.Operand, nodes.Filter, nodes.Test, nodes.List,
          nodes.Tuple, nodes.Concat)
_REFUSED_WORDS = {
    nodes.Include: "a letter cannot include another file",
    nodes.Import: "a letter cannot import another file",
    nodes.FromImport: "a letter cannot import another file",
    nodes.Extends: "a letter cannot extend another file",
    nodes.Call: "a letter cannot call functions or methods",
    nodes.Assign: "a letter cannot set variables ({% set %})",
    nodes.AssignBlock: "a letter cannot set variables ({% set %})",
    nodes.Macro: "a letter cannot define macros",
}

TAGS = frozenset({"html", "head", "body", "title", "style", "div", "span", "p", "br", "hr", "h1",
                  "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "small", "ul",
                  "ol", "li", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
                  "blockquote", "address", "dl", "dt", "dd", "section", "header", "footer",
                  "pdf:pagenumber", "pdf:pagecount", "pdf:nextpage"})
ATTRIBUTES = frozenset({"class", "style", "id", "colspan", "rowspan", "align", "valign",
                        "width", "height", "border", "cellpadding", "cellspacing", "lang", "dir"})
_CSS_REFUSED = re.compile(r"url\s*\(|@import|@font-face|\\|expression\s*\(", re.IGNORECASE)
_DECLARATIONS = re.compile(r"<!(?!--)|<\?", re.IGNORECASE)
_HTML_PARSER = lxml_html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)


class LetterProblem(Exception):
    """A template refused: ``message`` in words a policy lead can act on, ``line`` in it."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.message, self.line = message, line or 1


# -- the template ---------------------------------------------------------------------------------

def _filter_refused(node: nodes.Filter) -> bool:
    if node.name not in _FILTERS or node.kwargs or node.dyn_args or node.dyn_kwargs:
        return True
    return bool(node.args) and (node.name not in _FILTERS_WITH_TEXT or len(node.args) > 1
                                or not isinstance(node.args[0], nodes.Const))


def _looks_up_a_word(node: nodes.Getattr | nodes.Getitem) -> bool:
    """A lookup rooted at a name, through field names that do not start with an underscore."""
    current: nodes.Node = node
    while isinstance(current, (nodes.Getattr, nodes.Getitem)):
        key = current.attr if isinstance(current, nodes.Getattr) else getattr(
            current.arg, "value", "")
        if str(key).startswith("_"):
            return False
        current = current.node
    return isinstance(current, nodes.Name)


def _refusal(node: nodes.Node) -> str | None:
    words = next((w for kind, w in _REFUSED_WORDS.items() if isinstance(node, kind)), None)
    if words is None and not isinstance(node, _NODES):
        words = (f"'{type(node).__name__}' is not allowed in a letter (use text, "
                 "{{ lookups }}, {% if %} and {% for %})")
    elif isinstance(node, nodes.Filter) and _filter_refused(node):
        words = (f"the filter '{node.name}' is not allowed in a letter (allowed: "
                 f"{', '.join(sorted(_FILTERS))}; only join and default take a text)")
    elif isinstance(node, nodes.Test) and node.name not in _TESTS:
        words = f"the test '{node.name}' is not allowed in a letter"
    elif isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
        words = "a letter may look up a field only by its name"
    elif isinstance(node, (nodes.Getattr, nodes.Getitem)) and not _looks_up_a_word(node):
        words = "a letter may look up only the fields of its words (no names starting with _)"
    elif isinstance(node, nodes.For) and node.recursive:
        words = "a recursive loop is not allowed in a letter"
    elif isinstance(node, nodes.For) and not isinstance(node.iter, (nodes.Name, nodes.Getattr,
                                                                    nodes.Getitem)):
        words = "a letter may loop only over a list of the case's words (such as children)"
    return words


class _Budget:
    """The loop steps one rendering may still take."""

    def __init__(self) -> None:
        self.left = MAX_LOOP_STEPS

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise LetterProblem(f"the letter's loops would take more than {MAX_LOOP_STEPS:,} "
                                "steps")


class _Items(list):  # noqa: FURB189 - a list that counts the steps taken over it
    """A list of the case's words whose every step spends the rendering's budget."""

    budget: _Budget

    def __iter__(self) -> Iterator[Any]:
        for item in super().__iter__():
            self.budget.spend()
            yield item


class _Text(str):
    """A word of the case: printed and compared as text, never looped over letter by letter."""

    __slots__ = ()

    def __iter__(self) -> Iterator[str]:
        raise LetterProblem("a letter cannot loop over the letters of a text")


def _bounded(value: Any, budget: _Budget) -> Any:
    """The case's words with lists that count their steps and texts that cannot be looped."""
    if isinstance(value, str):
        return _Text(value)
    if isinstance(value, Mapping):
        return {key: _bounded(item, budget) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        items = _Items(_bounded(item, budget) for item in value)
        items.budget = budget
        return items
    return value


@lru_cache(maxsize=256)
def parse_letter(source: str) -> nodes.Template:
    """The template's syntax tree, or LetterProblem (syntax, size, or a refused construct).
    Parsing compiles nothing, so it is safe on any input."""
    if len(source) > MAX_LETTER_TEMPLATE:
        raise LetterProblem(f"the template is longer than {MAX_LETTER_TEMPLATE:,} characters")
    found = _DECLARATIONS.search(source)
    if found:
        raise LetterProblem("a letter cannot hold a DOCTYPE, entity or processing instruction",
                            source.count("\n", 0, found.start()) + 1)
    try:
        tree = ENV.parse(source)
    except TemplateSyntaxError as exc:
        raise LetterProblem(f"template error: {exc.message}", exc.lineno) from None
    except (RecursionError, MemoryError, ValueError):
        raise LetterProblem("the template cannot be read (nested too deeply)") from None
    for node in tree.find_all(nodes.Node):
        words = _refusal(node)
        if words:
            raise LetterProblem(words, getattr(node, "lineno", 1))
    return tree


@lru_cache(maxsize=256)
def _compiled(source: str) -> Template:
    parse_letter(source)  # refuses before anything is compiled
    return ENV.from_string(source)


MAX_STYLESHEET = 20_000


def stylesheet_problem(css: str) -> tuple[int, str] | None:
    """(line, message) when the scheme's letter stylesheet is refused: one that could load
    something, leave its ``<style>`` element, or is too long."""
    if len(css) > MAX_STYLESHEET:
        return 1, f"the stylesheet is longer than {MAX_STYLESHEET:,} characters"
    for number, line in enumerate(css.splitlines() or [""], 1):
        if _CSS_REFUSED.search(line):
            return number, _CSS_WORDS
        if "<" in line:
            return number, "a stylesheet cannot hold '<' (it would leave its <style> element)"
    return None


def with_stylesheet(text: str, css: str) -> str:
    """``text`` with the scheme's stylesheet first in its head (before a letter's own styles,
    which may change it), or first in the document when it has no head."""
    if not css.strip():
        return text
    style = f"<style>\n{css}\n</style>\n"
    found = re.search(r"<head\b[^>]*>", text, re.IGNORECASE)
    if found:
        return text[:found.end()] + style + text[found.end():]
    return style + text


def render_html(source: str, context: Mapping[str, Any], stylesheet: str = "") -> str:
    """The letter's HTML for ``context``: checked, rendered, size-bounded and read again, with
    the scheme's ``stylesheet`` put in (``stylesheet_problem`` refuses a bad one)."""
    if stylesheet and stylesheet_problem(stylesheet):
        raise LetterProblem("the scheme's letter stylesheet is refused: "
                            f"{stylesheet_problem(stylesheet)[1]}")
    parts: list[str] = []
    size = 0
    try:
        words = _bounded(dict(context), _Budget())
        for chunk in _compiled(source).generate(words):
            parts.append(chunk)
            size += len(chunk)
            if size > MAX_LETTER_HTML:
                raise LetterProblem(f"the letter would be longer than {MAX_LETTER_HTML:,} "
                                    "characters")
    except LetterProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - the sandbox's refusals and runtime errors alike
        raise LetterProblem(f"the template cannot be rendered: {type(exc).__name__}: "
                            f"{str(exc)[:200]}") from None
    text = with_stylesheet("".join(parts), stylesheet)
    problem = markup_problem(text)
    if problem:
        raise LetterProblem(problem, _line_of(source, problem))
    return text


def _element_problem(element: Any) -> str | None:
    tag = element.tag.lower()
    if tag not in TAGS:
        return f"the tag <{tag}> is not allowed in a letter"
    for name, value in element.attrib.items():
        if name.lower() not in ATTRIBUTES:
            return (f"the attribute '{name}' (on <{tag}>) is not allowed in a letter: a letter "
                    "loads no images, links or files")
        if name.lower() == "style" and _CSS_REFUSED.search(value):
            return _CSS_WORDS
    if tag == "style" and _CSS_REFUSED.search(element.text_content()):
        return _CSS_WORDS
    return None


def markup_problem(text: str) -> str | None:
    """Why the rendered HTML is refused (a tag, attribute or stylesheet that could load
    something, or a declaration), or None."""
    if _DECLARATIONS.search(text):
        return "a letter cannot hold a DOCTYPE, entity or processing instruction"
    try:
        root = lxml_html.document_fromstring(text or "<p></p>", parser=_HTML_PARSER)
    except (etree.ParserError, ValueError):
        return None  # nothing a parser can read: an empty document
    for element in root.iter():
        problem = _element_problem(element) if isinstance(element.tag, str) else None
        if problem:
            return problem
    return None


_CSS_WORDS = ("a letter's styles cannot load anything (url(...), @import, @font-face) or use "
              "backslash escapes")


def _line_of(source: str, problem: str) -> int:
    """The first line of the source showing what ``problem`` names (1 when none does)."""
    quoted = re.findall(r"<([a-z:0-9]+)>|'([^']+)'|(url\(|@import|@font-face)", problem)
    words = [w for group in quoted for w in group if w]
    for number, line in enumerate(source.splitlines(), 1):
        lowered = line.lower()
        if any(w.lower() in lowered for w in words):
            return number
    return 1


# -- the words a letter may use -------------------------------------------------------------------

@dataclass(frozen=True)
class Word:
    """One name a letter may read: its title (the sample shows it), its fields when it is a
    group (None: anything under it is accepted), and whether it is a list."""

    title: str
    fields: Mapping[str, Word] | None = field(default_factory=dict)
    many: bool = False


CASE_WORDS: Mapping[str, Word] = {
    "reference": Word("Reference"), "scheme": Word("Scheme"), "scheme_short": Word("Short name"),
    "force": Word("Force"), "stage": Word("Stage"), "opened_on": Word("Opened on"),
    "outcomes": Word("Outcomes", many=True), "outcome": Word("Outcome"),
    "risks": Word("Risks", many=True),
}
FIXED_WORDS: Mapping[str, Word] = {
    "case": Word("Case", CASE_WORDS), "today": Word("Today's date"),
    "officer": Word("Officer"),
}


def lookups(tree: nodes.Template) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(line, name path) of every lookup outside a loop variable: ``decision.rationale.summary``
    is ``("decision", "rationale", "summary")``."""
    local = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    local.add("loop")
    inner: set[int] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        inner.add(id(node.node))
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Name)):
        if id(node) in inner:
            continue
        path: list[str] = []
        current: nodes.Node = node
        while isinstance(current, (nodes.Getattr, nodes.Getitem)):
            key = current.attr if isinstance(current, nodes.Getattr) else getattr(
                current.arg, "value", "")
            path.insert(0, str(key))
            current = current.node
        if isinstance(current, nodes.Name) and current.ctx == "load" \
                and current.name not in local:
            yield node.lineno, (current.name, *path)


def unknown_lookup(path: tuple[str, ...], words: Mapping[str, Word]) -> str | None:
    """Why ``path`` names nothing a letter is given, or None."""
    known: Mapping[str, Word] | None = words
    for depth, name in enumerate(path):
        if known is None:
            return None
        word = known.get(name)
        if word is None:
            where = f"'{'.'.join(path[:depth])}'" if depth else "a letter"
            choices = ", ".join(sorted(known)[:30])
            return f"{where} has no field '{name}' (known: {choices})"
        if word.many:
            return None
        known = word.fields
        if known == {} and depth + 1 < len(path):
            return f"'{'.'.join(path[:depth + 1])}' is a value, not a group: it has no field " \
                   f"'{path[depth + 1]}'"
    return None


def sample(words: Mapping[str, Word]) -> dict[str, Any]:
    """Sample values: each field's title in brackets, so a preview shows where it goes."""
    values: dict[str, Any] = {}
    for name, word in words.items():
        one: Any = sample(word.fields) if word.fields else f"[{word.title}]"
        values[name] = [one] if word.many else one
    return values
