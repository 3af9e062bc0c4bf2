"""Check a scheme's declared letters (``letters`` in scheme.json, templates in ``letters/``), each
problem with its file and line: a missing template, one that does not parse, is refused, reads a
field no form has, or does not render against sample words; a stage or outcome that is not the
scheme's. See docs/letters.md."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from lxml import etree

from engine.json_lines import JsonLines
from engine.letter_template import (
    FIXED_WORDS,
    LetterProblem,
    Word,
    lookups,
    parse_letter,
    render_html,
    sample,
    stylesheet_problem,
    unknown_lookup,
)
from engine.lint import BPMN, Problem
from engine.scheme import DECLARATION_FILE, FORM_SUFFIX, LETTER_FOLDER, LETTER_STYLESHEET, Scheme

if TYPE_CHECKING:
    from engine.definitions import Definition

_STAGE_KINDS = ("callActivity", "subProcess")


def _sub_schemas(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield node
    for key in ("allOf", "oneOf", "anyOf", "then", "else"):
        subs = node.get(key) or []
        for sub in subs if isinstance(subs, list) else [subs]:
            if isinstance(sub, Mapping):
                yield from _sub_schemas(sub)


def _form_words(node: Mapping[str, Any]) -> dict[str, Word]:
    """The fields of a form (or of a group in it) as letter words, titled by the form."""
    words: dict[str, Word] = {}
    for part in _sub_schemas(node):
        props = part.get("properties")
        for name, spec in (props.items() if isinstance(props, Mapping) else ()):
            if not isinstance(spec, Mapping) or name in words:
                continue
            title = str(spec.get("title") or name.replace("_", " ").capitalize())
            items = spec.get("items")
            if spec.get("type") == "array" and isinstance(items, Mapping) \
                    and items.get("properties"):
                words[name] = Word(title, _form_words(items), many=True)
            elif spec.get("type") == "array":
                words[name] = Word(title, many=True)
            elif spec.get("properties") or spec.get("allOf"):
                words[name] = Word(title, _form_words(spec))
            elif spec.get("$ref") or spec.get("type") == "object":
                words[name] = Word(title, None)
            else:
                words[name] = Word(title)
    return words


def stage_ids(definition: Definition, stage: str) -> tuple[str, ...]:
    """The ids of the call activities and subprocesses named ``stage`` (a case's stage is the
    name of the one it is in)."""
    found = {spec_task.bpmn_id for spec in (definition.spec, *definition.subprocess_specs.values())
             for spec_task in spec.task_specs.values()
             if stage and getattr(spec_task, "bpmn_name", None) == stage}
    return tuple(sorted(str(i) for i in found if i))


def letter_words(scheme: Scheme, forms: Mapping[str, Any]) -> dict[str, Word]:
    """Every name a letter of the scheme may read: the case's words, today's date, the officer,
    each party by its key (its name, or names) and each form by its file's stem (its latest
    answers, as words)."""
    words: dict[str, Word] = dict(FIXED_WORDS)
    for name, schema in sorted(forms.items()):
        if isinstance(schema, Mapping) and name.endswith(FORM_SUFFIX):
            stem = name.removesuffix(FORM_SUFFIX)
            words[stem] = Word(str(schema.get("title") or stem), _form_words(schema))
    for party in scheme.parties:
        words[party.key] = Word(party.label, many=party.many)
    return words


def template_problems(source: str, words: Mapping[str, Word]) -> list[tuple[int, str]]:
    """(line, message) for each problem with one template: refused, unknown fields, or failing
    to render against sample words."""
    try:
        tree = parse_letter(source)
    except LetterProblem as exc:
        return [(exc.line, exc.message)]
    found = [(line, message) for line, path in lookups(tree)
             if (message := unknown_lookup(path, words))]
    if found:
        return found
    try:
        render_html(source, sample(words))
    except LetterProblem as exc:
        return [(exc.line, exc.message)]
    return []


def _stylesheet_problems(files: Mapping[str, bytes]) -> list[Problem]:
    css = files.get(LETTER_STYLESHEET, b"").decode("utf-8", "replace")
    refused = stylesheet_problem(css) if css else None
    return [Problem(LETTER_STYLESHEET, refused[0], None, refused[1])] if refused else []


def check_letters(files: Mapping[str, bytes], roots: Mapping[str, etree._Element],
                  scheme: Scheme, forms: Mapping[str, Any]) -> list[Problem]:
    """Every problem with the declared letters and the files in ``letters/``."""
    if not scheme.letters and not any(n.startswith(LETTER_FOLDER) for n in files):
        return []
    lines = JsonLines(files.get(DECLARATION_FILE, b"").decode("utf-8", "replace"))
    stages = {str(el.get("id")) for root in roots.values()
              if etree.QName(root).namespace == BPMN for el in root.iter()
              if isinstance(el.tag, str) and etree.QName(el).localname in _STAGE_KINDS}
    words = letter_words(scheme, forms)
    problems: list[Problem] = []
    problems.extend(_stylesheet_problems(files))

    def declared(path: tuple[str | int, ...], message: str) -> None:
        problems.append(Problem(DECLARATION_FILE, lines.line(("letters", *path)), None, message))

    seen: set[str] = set()
    for index, letter in enumerate(scheme.letters):
        if letter.key in seen:
            declared((index, "key"), f"letter '{letter.key}' is declared twice")
        seen.add(letter.key)
        for position, stage in enumerate(letter.stages):
            if stage not in stages:
                declared((index, "stages", position), f"letter '{letter.key}': '{stage}' is not "
                                                      "a call activity or subprocess")
        for position, code in enumerate(letter.outcomes):
            if code not in scheme.outcomes:
                declared((index, "outcomes", position), f"letter '{letter.key}': outcome "
                                                        f"'{code}' is not declared")
        data = files.get(letter.template)
        if data is None:
            declared((index, "key"), f"letter '{letter.key}': its template {letter.template} "
                                     "is missing (add the file)")
            continue
        try:
            source = data.decode()
        except UnicodeDecodeError:
            problems.append(Problem(letter.template, 1, None, "the template is not UTF-8 text"))
            continue
        problems.extend(Problem(letter.template, line, None, message)
                        for line, message in template_problems(source, words))
    templates = {letter.template for letter in scheme.letters} | {LETTER_STYLESHEET}
    for name in sorted(n for n in files if n.startswith(LETTER_FOLDER) and n not in templates):
        problems.append(Problem(name, 1, None, "no letter in scheme.json \"letters\" uses this "
                                               "template", "warning"))
    return problems
