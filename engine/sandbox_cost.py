"""Which diagram code is cheap enough to run in the web process: a cost model over the syntax tree.

Everything else runs in the sandbox host (``sandbox_host``) under a time and memory limit. Gateway
conditions, timer durations and most instructions are names, lookups and comparisons; they run
on every step, so they stay in-process, but only when their syntax proves them cheap:

- no loops, lambdas or calls other than a few builtins that do one linear pass over their
  argument; no operator that can multiply a size (``*``, ``**``, ``<<``, ``%``); a comprehension
  only over a literal list written in the code (as many steps as it has elements), not nested;
- a bounded number of nodes, so that the whole evaluation is a bounded number of linear passes
  over the case data, which is itself bounded (forms are size-limited JSON, and anything diagram
  code stores has passed ``check_storable`` in the host);
- in a script, nothing that can double a value from one statement to the next (f-strings,
  displays holding names, ``+`` unless one side is built from constants only, such as
  ``codes + [c for c in ["A" if x else "B"] if c not in codes]``): a chain of such statements
  would grow exponentially.

Templates follow the same rules, with one ``for`` loop allowed whose body reads only the loop
variable (so the loop is one pass over the data, not a product of passes).
"""

from __future__ import annotations

import ast
from functools import lru_cache

from jinja2 import nodes

# Largest source, and most syntax nodes, code may have and still run in the web process.
MAX_FAST_SOURCE = 2_000
MAX_FAST_NODES = 200
MAX_FAST_TEMPLATE_NODES = 4_000
MAX_FAST_TEMPLATE_COSTLY = 200
# Operations that write a whole value out (``str(x)``, ``list(x)``, an f-string field, a
# template's ``~`` or ``|string``): each is one linear pass, but their results are alive together,
# so their number bounds the memory an in-process evaluation can take (a few times the largest
# value in case data).
MAX_FAST_MATERIALISED = 4
_MATERIALISING_CALLS = frozenset({"str", "list", "tuple"})
# Values read from case data that one display (``[a.x, a.y]``, ``{"k": k}``) may hold.
MAX_DISPLAY_VALUES = 4

_FAST_CALLS = frozenset({"len", "bool", "str", "int", "float", "abs", "min", "max", "any", "all",
                         "list", "tuple", "timedelta"})
_ALWAYS = (ast.Expression, ast.Module, ast.Constant, ast.Name, ast.Load, ast.Store,
           ast.Attribute, ast.Subscript, ast.Slice, ast.Compare, ast.cmpop, ast.BoolOp,
           ast.boolop, ast.UnaryOp, ast.unaryop, ast.IfExp, ast.Call, ast.keyword, ast.If,
           ast.Pass, ast.Expr, ast.Assign, ast.operator, ast.comprehension)
_SHRINKING_OPS = (ast.Sub, ast.Div, ast.FloorDiv, ast.BitAnd)
_DISPLAYS = (ast.List, ast.Tuple, ast.Dict, ast.Set)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _constant_valued(node: ast.AST | None) -> bool:
    """An expression whose value is made of constants only (its tests may read names)."""
    match node:
        case ast.Constant():
            ok = True
        case ast.IfExp(body=body, orelse=orelse):
            ok = _constant_valued(body) and _constant_valued(orelse)
        case ast.List(elts=elts) | ast.Tuple(elts=elts) | ast.Set(elts=elts):
            ok = all(_constant_valued(e) for e in elts)
        case ast.Dict(keys=keys, values=values):
            ok = all(_constant_valued(e) for e in (*keys, *values))
        case _:
            ok = False
    return ok


def _lookup(node: ast.AST) -> bool:
    """A name, or an attribute or constant-key item of one: a value already in case data."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Constant):
            return False
        node = node.value
    return isinstance(node, ast.Name)


def _few_lookups(node: ast.List | ast.Tuple | ast.Dict | ast.Set) -> bool:
    """A display of constants and at most MAX_DISPLAY_VALUES values looked up in case data."""
    parts = [*node.keys, *node.values] if isinstance(node, ast.Dict) else node.elts
    read = [p for p in parts if not _constant_valued(p)]
    return len(read) <= MAX_DISPLAY_VALUES and all(_lookup(p) for p in read)


def _comprehension_ok(node: ast.ListComp) -> bool:
    """One ``for`` over a literal list of constants in the code, nothing nested, producing only
    its loop variable or constants (anything else repeats a data-sized value per element)."""
    if len(node.generators) != 1:
        return False
    loop = node.generators[0]
    parts = [node.elt, loop.iter, *loop.ifs]
    if loop.is_async or not isinstance(loop.target, ast.Name) or not isinstance(
            loop.iter, (ast.List, ast.Tuple)) or any(
            isinstance(n, _COMPREHENSIONS) for part in parts for n in ast.walk(part)):
        return False
    own = isinstance(node.elt, ast.Name) and node.elt.id == loop.target.id
    return _constant_valued(loop.iter) and (own or _constant_valued(node.elt))


def _sized_by_source(node: ast.AST) -> bool:
    """A value no larger than the code that writes it."""
    return _constant_valued(node) or (isinstance(node, ast.ListComp)
                                      and _comprehension_ok(node))


def _call_ok(node: ast.Call) -> bool:
    return (isinstance(node.func, ast.Name) and node.func.id in _FAST_CALLS
            and not any(isinstance(a, ast.Starred) for a in node.args)
            and (not node.keywords or node.func.id == "timedelta")
            and all(k.arg is not None for k in node.keywords))


def _node_ok(node: ast.AST, script: bool) -> bool:
    """Whether one node may run in-process. The rules that keep values from growing (``+`` with a
    side sized by the source, displays of constants, comprehensions producing their loop
    variable) hold for expressions as well as scripts: within one expression a display of names
    inside a comprehension multiplies sizes just as a chain of statements does."""
    match node:
        case ast.Call():
            ok = _call_ok(node)
        case ast.Assign(targets=targets):
            ok = all(isinstance(t, ast.Name) for t in targets)
        case ast.BinOp(op=op, left=left, right=right):
            ok = isinstance(op, _SHRINKING_OPS) or (isinstance(op, ast.Add) and (
                _sized_by_source(left) or _sized_by_source(right)))
        case ast.ListComp():
            ok = _comprehension_ok(node)
        case ast.JoinedStr() | ast.FormattedValue():
            ok = not script
        case ast.Constant(value=value):
            ok = not isinstance(value, complex)  # case data cannot hold it: the host says so
        case ast.List() | ast.Tuple() | ast.Dict() | ast.Set():
            # in a script a display of names could double from one statement to the next
            ok = _constant_valued(node) or (not script and _few_lookups(node))
        case _:
            ok = isinstance(node, _ALWAYS)
    return ok


@lru_cache(maxsize=4096)
def python_is_bounded(source: str, mode: str) -> bool:
    """True if ``source`` (an expression for ``eval``, a script for ``exec``) is provably cheap."""
    if len(source) > MAX_FAST_SOURCE:
        return False
    try:
        tree = ast.parse(source, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False  # the host reports the error
    found = list(ast.walk(tree))
    materialised = sum(1 for n in found if isinstance(n, ast.FormattedValue) or (
        isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        and n.func.id in _MATERIALISING_CALLS))
    return (len(found) <= MAX_FAST_NODES and materialised <= MAX_FAST_MATERIALISED
            and all(_node_ok(n, mode == "exec") for n in found))


# -- templates ----------------------------------------------------------------------------------

# Filters that make one pass over their input and cannot grow it by an argument.
_FAST_FILTERS = frozenset({
    "default", "d", "length", "count", "first", "last", "upper", "lower", "title", "capitalize",
    "trim", "string", "e", "escape", "int", "float", "abs", "join", "list", "select", "reject",
    "truncate", "wordcount", "striptags", "safe",
})
_FAST_TESTS = frozenset({"defined", "undefined", "none", "string", "number", "mapping",
                         "sequence", "true", "false", "boolean", "integer", "eq", "ne", "in"})
_TEMPLATE_ALWAYS = (nodes.Template, nodes.Output, nodes.TemplateData, nodes.Const, nodes.Name,
                    nodes.Getattr, nodes.Getitem, nodes.Slice, nodes.If, nodes.CondExpr,
                    nodes.And, nodes.Or, nodes.Not, nodes.Neg, nodes.Pos, nodes.Compare,
                    nodes.Operand, nodes.Concat, nodes.List, nodes.Tuple, nodes.Dict, nodes.Pair,
                    nodes.For, nodes.Filter, nodes.Test)
_PLAIN_ARGUMENT = (nodes.Const, nodes.Name, nodes.List, nodes.Tuple, nodes.Dict, nodes.Pair)
_COSTLY = (nodes.Filter, nodes.Test, nodes.Compare, nodes.Concat, nodes.Output, nodes.Getitem)


def _filter_ok(node: nodes.Filter | nodes.Test) -> bool:
    allowed = _FAST_FILTERS if isinstance(node, nodes.Filter) else _FAST_TESTS
    return (node.name in allowed and node.dyn_args is None and node.dyn_kwargs is None
            and all(_plain_argument(a) for a in node.args)
            and all(_plain_argument(k.value) for k in node.kwargs))


def _plain_argument(node: nodes.Node) -> bool:
    """A name, a constant, or a literal of constants (``default({})``)."""
    return all(isinstance(n, _PLAIN_ARGUMENT) for n in (node, *node.find_all(nodes.Node)))


def _loop_ok(loop: nodes.For) -> bool:
    """One pass: no nested loop, no recursion, and the body reads only the loop variables."""
    if loop.recursive or any(True for _ in loop.iter.find_all(nodes.For)):
        return False
    targets = [loop.target, *loop.target.find_all(nodes.Name)]
    own = {n.name for n in targets if isinstance(n, nodes.Name)} | {"loop"}
    for part in (*loop.body, *loop.else_, *([loop.test] if loop.test else [])):
        if any(True for _ in part.find_all(nodes.For)):
            return False
        if any(n.name not in own for n in part.find_all(nodes.Name)):
            return False
    return True


_MATERIALISING_FILTERS = frozenset({"string", "list", "join"})


def _materialises(node: nodes.Node) -> int:
    """How many whole values this node writes out (see MAX_FAST_MATERIALISED)."""
    if isinstance(node, nodes.Filter):
        return int(node.name in _MATERIALISING_FILTERS)
    if isinstance(node, nodes.Concat):
        return sum(1 for part in node.nodes if not isinstance(part, nodes.Const))
    return 0


def _template_lookup(node: nodes.Node) -> bool:
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getitem) and not isinstance(node.arg, nodes.Const):
            return False
        node = node.node
    return isinstance(node, nodes.Name)


def _display_ok(node: nodes.Node) -> bool:
    """A list, tuple or dict display of constants and at most MAX_DISPLAY_VALUES values looked
    up in case data (written out, a display is as large as all it holds together)."""
    if not isinstance(node, (nodes.List, nodes.Tuple, nodes.Dict)):
        return True
    parts = ([p for pair in node.items for p in (pair.key, pair.value)]
             if isinstance(node, nodes.Dict) else list(node.items))
    read = [p for p in parts if not isinstance(p, nodes.Const)]
    return len(read) <= MAX_DISPLAY_VALUES and all(_template_lookup(p) for p in read)


def _template_node_ok(node: nodes.Node) -> bool:
    big_number = isinstance(node, nodes.Const) and isinstance(node.value, (int, float)) and (
        abs(node.value) > 2**64)
    return (isinstance(node, _TEMPLATE_ALWAYS) and not big_number
            and (not isinstance(node, (nodes.Filter, nodes.Test)) or _filter_ok(node))
            and (not isinstance(node, nodes.For) or _loop_ok(node))
            and (getattr(node, "ctx", "load") == "store" or _display_ok(node)))


def template_is_bounded(tree: nodes.Template) -> bool:
    """True if a parsed template is provably cheap to compile and render in-process."""
    costly = materialised = 0
    for count, node in enumerate(tree.find_all(nodes.Node), start=1):
        costly += isinstance(node, _COSTLY)
        materialised += _materialises(node)
        if (count > MAX_FAST_TEMPLATE_NODES or costly > MAX_FAST_TEMPLATE_COSTLY
                or materialised > MAX_FAST_MATERIALISED or not _template_node_ok(node)):
            return False
    return True
