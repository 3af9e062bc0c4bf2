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


def _comprehension_ok(node: ast.ListComp, script: bool) -> bool:
    """One ``for`` over a literal list in the code, nothing nested; in a script, producing only
    its loop variable or constants from constants."""
    if len(node.generators) != 1:
        return False
    loop = node.generators[0]
    parts = [node.elt, loop.iter, *loop.ifs]
    if loop.is_async or not isinstance(loop.target, ast.Name) or not isinstance(
            loop.iter, (ast.List, ast.Tuple)) or any(
            isinstance(n, _COMPREHENSIONS) for part in parts for n in ast.walk(part)):
        return False
    if not script:
        return True
    own = isinstance(node.elt, ast.Name) and node.elt.id == loop.target.id
    return _constant_valued(loop.iter) and (own or _constant_valued(node.elt))


def _sized_by_source(node: ast.AST) -> bool:
    """A value no larger than the code that writes it."""
    return _constant_valued(node) or (isinstance(node, ast.ListComp)
                                      and _comprehension_ok(node, script=True))


def _call_ok(node: ast.Call) -> bool:
    return (isinstance(node.func, ast.Name) and node.func.id in _FAST_CALLS
            and not any(isinstance(a, ast.Starred) for a in node.args)
            and (not node.keywords or node.func.id == "timedelta")
            and all(k.arg is not None for k in node.keywords))


def _node_ok(node: ast.AST, script: bool) -> bool:
    match node:
        case ast.Call():
            ok = _call_ok(node)
        case ast.Assign(targets=targets):
            ok = all(isinstance(t, ast.Name) for t in targets)
        case ast.BinOp(op=op, left=left, right=right):
            ok = isinstance(op, _SHRINKING_OPS) or (isinstance(op, ast.Add) and (
                not script or _sized_by_source(left) or _sized_by_source(right)))
        case ast.ListComp():
            ok = _comprehension_ok(node, script)
        case ast.JoinedStr() | ast.FormattedValue():
            ok = not script
        case ast.Constant(value=value):
            ok = not isinstance(value, complex)  # case data cannot hold it: the host says so
        case ast.List() | ast.Tuple() | ast.Dict() | ast.Set():
            ok = not script or _constant_valued(node)
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
    return len(found) <= MAX_FAST_NODES and all(_node_ok(n, mode == "exec") for n in found)


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


def template_is_bounded(tree: nodes.Template) -> bool:
    """True if a parsed template is provably cheap to compile and render in-process."""
    costly = 0
    for count, node in enumerate(tree.find_all(nodes.Node), start=1):
        if count > MAX_FAST_TEMPLATE_NODES or not isinstance(node, _TEMPLATE_ALWAYS):
            return False
        if isinstance(node, (nodes.Filter, nodes.Test)) and not _filter_ok(node):
            return False
        if isinstance(node, nodes.For) and not _loop_ok(node):
            return False
        if isinstance(node, nodes.Const) and isinstance(node.value, (int, float)) and (
                abs(node.value) > 2**64):
            return False
        costly += isinstance(node, _COSTLY)
        if costly > MAX_FAST_TEMPLATE_COSTLY:
            return False
    return True
