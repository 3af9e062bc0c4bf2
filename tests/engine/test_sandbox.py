"""The diagram sandbox against an escape corpus (S05/S06), plus the diagram code it must still run.

Every escape attempt must be either refused by the lint (``check_source`` returns a message, and the
run-time path refuses the same source) or fail at run time with an ordinary ``Exception``. A
``BaseException`` that gets out (``SystemExit``, ``KeyboardInterrupt``) or a ``MemoryError`` counts
as a failure. Canaries guard against silent escapes: a temp file and an environment variable hold
secrets that must never show up in a result, an exception or the captured output, and payloads that
try to write a file must leave the canary directory untouched.

Expression payloads are run both as an expression (``evaluate``) and as a script (``execute``).
Cases with a ``hole`` note once got through ``engine/sandbox.py`` and are kept as regression
tests; most are scaled down to run in milliseconds, and the note gives the full-size payload.
"""

from __future__ import annotations

import builtins
import copy
import operator
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine import sandbox

CANARY_ENV = "DW_SANDBOX_CANARY"


# --------------------------------------------------------------------------------------------
# Canaries
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Canary:
    directory: Path
    secret_file: Path
    out_file: Path
    file_token: str
    env_token: str

    def fill(self, source: str) -> str:
        """Put the canary paths into a payload (``CANARY_FILE``, ``CANARY_OUT``)."""
        return source.replace("CANARY_FILE", str(self.secret_file)).replace(
            "CANARY_OUT", str(self.out_file)
        )

    def leaks(self, text: str) -> list[str]:
        found = [t for t in (self.file_token, self.env_token) if t in text]
        if "root:x:0:0" in text:  # first line of /etc/passwd
            found.append("/etc/passwd contents")
        if "PWNED" in text:
            found.append("shell command output")
        return found


@pytest.fixture
def canary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Canary:
    file_token = "FILE-CANARY-" + secrets.token_hex(8)
    env_token = "ENV-CANARY-" + secrets.token_hex(8)
    secret_file = tmp_path / "canary.txt"
    secret_file.write_text(file_token)
    monkeypatch.setenv(CANARY_ENV, env_token)
    return Canary(tmp_path, secret_file, tmp_path / "pwned.txt", file_token, env_token)


# --------------------------------------------------------------------------------------------
# Running one attempt
# --------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    mode: str
    kind: str  # "lint" | "raised" | "returned" | "lint-crashed" | "lint-only"
    detail: Any = None
    texts: list[str] = field(default_factory=list)

    @property
    def safe(self) -> bool:
        if self.kind == "lint":
            return True
        if self.kind == "raised":
            return _is_safe_exception(self.detail)
        return False

    def describe(self) -> str:
        if isinstance(self.detail, BaseException):
            return f"{self.mode}: {self.kind} {type(self.detail).__name__}: {self.detail}"[:300]
        return f"{self.mode}: {self.kind} {self.detail!r}"[:300]


def _is_safe_exception(exc: BaseException) -> bool:
    return isinstance(exc, Exception) and not isinstance(exc, MemoryError)


def _exception_texts(exc: BaseException) -> list[str]:
    texts, seen = [], set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        texts += [type(current).__name__, str(current), repr(current.args)]
        current = current.__cause__ or current.__context__
    return texts


def _run(source: str, mode: str, data: dict[str, Any]) -> Any:
    if mode == "eval":
        return sandbox.evaluate(source, data)
    return sandbox.execute(source, data)


def _attempt(source: str, mode: str, data: dict[str, Any]) -> Outcome:
    try:
        message = sandbox.check_source(source, mode)
    except BaseException as exc:  # noqa: BLE001 - the lint must answer, never raise
        return Outcome(mode, "lint-crashed", exc, _exception_texts(exc))
    if message:
        # The run-time path compiles the same way and must refuse the same source.
        try:
            result = _run(source, mode, data)
        except SyntaxError:
            return Outcome(mode, "lint", message, [message])
        except BaseException as exc:  # noqa: BLE001
            return Outcome(mode, "lint-only", exc, [message, *_exception_texts(exc)])
        return Outcome(mode, "lint-only", result, [message, repr(result)])
    try:
        result = _run(source, mode, data)
    except BaseException as exc:  # noqa: BLE001 - SystemExit & co. must be seen, not obeyed
        return Outcome(mode, "raised", exc, _exception_texts(exc))
    return Outcome(mode, "returned", result, [repr(result)])


# --------------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    source: str
    mode: str = "eval"  # "eval" cases also run as a script
    data: dict[str, Any] = field(default_factory=dict)


def case(case_id: str, source: str, mode: str = "eval", data: dict[str, Any] | None = None, *,
         hole: str | None = None, marks: tuple[Any, ...] = ()) -> Any:
    # ``hole`` records a payload that once got through; each is now a regression test.
    del hole
    return pytest.param(Case(source, mode, data or {}), id=case_id, marks=marks)


WRAP_CLOSE = (
    "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
    ".__init__.__globals__['system']('touch CANARY_OUT')"
)

ESCAPE_ATTEMPTS = [
    # --- imports -----------------------------------------------------------------------------
    case("dunder_import", "__import__('os').system('echo PWNED > CANARY_OUT') == 0"),
    case("dunder_import_environ", f"__import__('os').environ['{CANARY_ENV}']"),
    case("import_os", "import os\nos.system('touch CANARY_OUT')", "exec"),
    case("from_os_import_system", "from os import system\nsystem('touch CANARY_OUT')", "exec"),
    case("import_inside_function",
         "def f():\n    import subprocess\n    return subprocess.run(['id'])\nr = f()", "exec"),
    case("importlib_name", "importlib.import_module('os').getenv('DW_SANDBOX_CANARY')"),
    # --- dunder walks ------------------------------------------------------------------------
    case("dunder_subclasses", "().__class__.__base__.__subclasses__()"),
    case("dunder_mro", "[].__class__.__mro__[1].__subclasses__()"),
    case("wrap_close_globals_system", WRAP_CLOSE),
    case("str_mro_object_subclasses", "str.mro()[-1].__subclasses__()"),
    case("timedelta_dunder_dict", "timedelta.__dict__"),
    case("dunder_via_subscript_string", "{}['__class__']"),
    # NFKC: the parser folds fullwidth letters, so these are __class__/__base__ and __import__.
    case("unicode_normalised_dunder", "().__\uff43\uff4c\uff41\uff53\uff53__.__base__"),
    case("unicode_normalised_import",
         "__\uff49\uff4d\uff50\uff4f\uff52\uff54__('os').system('touch CANARY_OUT')"),
    # --- dangerous builtins ------------------------------------------------------------------
    case("getattr_builtin", "getattr(timedelta, '__init__')"),
    case("vars_builtin", "vars()"),
    case("globals_builtin", "globals()['__builtins__']"),
    case("locals_builtin", "locals()"),
    case("dir_builtin", "dir()"),
    case("type_of_object", "type(timedelta)"),
    case("type_three_args", "type('X', (), {'y': 1})"),
    case("compile_builtin", "compile('1', '<x>', 'eval')"),
    case("eval_builtin", "eval('1 + 1')"),
    case("exec_builtin", "exec('x = 1')", "exec"),
    case("open_canary_file", "open('CANARY_FILE').read()"),
    case("open_etc_passwd", "open('/etc/passwd').read()"),
    case("open_for_write", "open('CANARY_OUT', 'w').write('pwned')"),
    case("input_builtin", "input()"),
    case("breakpoint_builtin", "breakpoint()"),
    case("help_builtin", "help()"),
    case("print_builtin", "print(1)", "exec",
         marks=(pytest.mark.filterwarnings("ignore:Line None. Prints:SyntaxWarning"),)),
    case("with_open", "with open('CANARY_FILE') as f:\n    s = f.read()", "exec"),
    case("setattr_builtin", "setattr(timedelta, 'days', 1)"),
    case("object_builtin", "object.__subclasses__()"),
    case("iter_next_builtins", "next(iter([1]))"),
    # --- chains through allowed objects ------------------------------------------------------
    case("timedelta_init_globals", "timedelta.__init__.__globals__"),
    case("timedelta_instance_class_walk", "timedelta(days=1).__class__.__base__.__subclasses__()"),
    case("maketrans_self", "str.maketrans.__self__"),
    case("bound_method_self", "[].append.__self__"),
    case("helper_function_globals", "same_type.__globals__['__builtins__']"),
    case("lambda_code_object", "(lambda: 0).__code__"),
    case("math_module_reached", "math.factorial(10**6)"),
    case("random_module_reached", "random.choice([1, 2])"),
    case("string_formatter_reached", "string.Formatter().get_field('0.__class__', [1], {})"),
    # --- format strings ----------------------------------------------------------------------
    case("format_attribute_walk", "'{0.__class__}'.format(1)"),
    case("format_map_globals", "'{x.__init__.__globals__}'.format_map({'x': timedelta})"),
    case("unbound_str_format", "str.format('{0.__class__.__base__}', 1)"),
    case("format_via_map", "list(map(str.format, ['{0.__class__}'], [1]))"),
    case("format_from_task_data", "template.format(timedelta)",
         data={"template": "{0.__init__.__globals__}"}),
    case("fstring_dunder", "f'{().__class__.__base__}'"),
    case("fstring_nested_spec", "f\"{1:{'>'}{'9' * 9}}\""),
    # --- generator, coroutine and traceback frames -------------------------------------------
    case("generator_frame_globals", "(x for x in []).gi_frame.f_globals"),
    case("generator_code", "(x for x in []).gi_code"),
    case("generator_frame_back", "(x for x in [1]).gi_frame.f_back"),
    case("generator_function_frame",
         "def g():\n    yield 1\nfr = g().gi_frame\nb = fr.f_builtins", "exec"),
    case("async_def_coroutine_frame",
         "async def f():\n    return 1\nfr = f().cr_frame", "exec"),
    case("async_generator_frame", "(x async for x in [1]).ag_frame"),
    case("traceback_frame",
         "try:\n    1 / 0\nexcept Exception as e:\n    g = e.__traceback__.tb_frame.f_globals",
         "exec"),
    # --- lambdas, closures, classes, decorators ----------------------------------------------
    case("lambda_default_dunder", "(lambda x=().__class__: x.__base__)()"),
    case("lambda_globals", "(lambda: 0).__globals__"),
    case("closure_cell_contents",
         "def outer():\n    x = 1\n    def inner():\n        return x\n    return inner\n"
         "c = outer().__closure__[0].cell_contents", "exec"),
    case("class_definition", "class A:\n    pass", "exec"),
    case("class_with_metaclass", "class A(metaclass=type):\n    pass", "exec"),
    case("decorator_open", "@open\ndef f():\n    pass", "exec"),
    case("decorator_import", "@__import__\ndef os():\n    pass", "exec"),
    # --- names starting with _ ---------------------------------------------------------------
    case("walrus_into_guard_name", "[_getattr_ := (lambda o, n: o)]"),
    case("walrus_into_builtins", "(__builtins__ := {})"),
    case("assign_builtins", "__builtins__ = {'open': open}", "exec"),
    case("assign_guard", "_getattr_ = lambda o, n, d=None: o", "exec"),
    case("global_builtins_in_function",
         "def f():\n    global __builtins__\n    __builtins__ = {}\nf()", "exec"),
    case("delete_builtins", "del __builtins__", "exec"),
    # --- statements RestrictedPython does not review -----------------------------------------
    case("match_class_pattern_globals",
         "match same_type:\n    case object(__globals__=g):\n        b = g['__builtins__']",
         "exec", marks=(pytest.mark.filterwarnings("ignore:Line 1. Match:SyntaxWarning"),)),
    case("except_star_group",
         "try:\n    1 / 0\nexcept* ZeroDivisionError as eg:\n    x = eg.exceptions", "exec"),
    case("annotated_assignment", "x: __import__('os') = 1", "exec",
         marks=(pytest.mark.filterwarnings("ignore:Line 1. AnnAssign:SyntaxWarning"),)),
    # --- task data trying to replace guards --------------------------------------------------
    case("data_replaces_getattr_guard", "'{0.__class__}'.format(1)",
         data={"_getattr_": getattr}),
    case("data_replaces_builtins", "open('CANARY_FILE').read()",
         data={"__builtins__": builtins.__dict__}),
    case("data_replaces_mul_guard", "len('a' * 10**8)", data={"_mul_": operator.mul}),
    case("data_replaces_pow_guard", "2 ** 1000000", data={"_pow_": pow}),
    case("data_replaces_getiter_guard", "sum(1 for i in range(100000) for j in range(20))",
         data={"_getiter_": iter}),
    case("data_replaces_apply_guard", "len(*['__self__'])(*['open'])('CANARY_FILE').read()",
         data={"_apply_": getattr},
         hole="`_apply_` (RestrictedPython's wrapper for f(*args)/f(**kw) calls) is not defined "
              "in _build_globals, so a `_apply_` key in task data or external_context is used as "
              "the call guard. With _apply_=getattr: len(*['__self__']) -> builtins module, "
              "(...)(*['open']) -> open -> reads any file (or __import__ -> RCE). Also makes "
              "legitimate max(*xs) fail with NameError."),
    # --- BaseException escaping the sandbox --------------------------------------------------
    case("generator_throw_system_exit", "(x for x in [1]).throw(SystemExit(3))",
         hole="SystemExit/KeyboardInterrupt/GeneratorExit are in safe_builtins; "
              "gen.throw(SystemExit(3)) in a gateway condition raises a BaseException through "
              "evaluate() and SpiffWorkflow (which only wraps Exception), killing the worker."),
    case("raise_keyboard_interrupt", "raise KeyboardInterrupt", "exec",
         hole="`raise KeyboardInterrupt` / `raise SystemExit` in a script escapes execute() as a "
              "BaseException."),
    # --- CPU ---------------------------------------------------------------------------------
    case("while_true", "while True:\n    pass", "exec"),
    case("while_in_function", "def f():\n    while 1:\n        pass\nf()", "exec"),
    case("for_over_growing_list", "xs = [0]\nfor x in xs:\n    xs.append(x)", "exec"),
    case("nested_loops", "n = 0\nfor i in range(100000):\n    for j in range(100000):\n"
         "        n += 1", "exec"),
    case("nested_comprehension", "[[0 for j in range(100000)] for i in range(100000)]"),
    case("deep_recursion", "def f(n):\n    return f(n + 1)\nr = f(0)", "exec"),
    case("uncharged_builtin_iteration", "sum(sum(range(100000)) for i in range(100))",
         hole="iteration inside builtins (sum/map/any/sorted/list/...) is not charged to the "
              "MAX_ITERATIONS budget: this does 10**7 steps on a 10**6 budget; "
              "sum(sum(range(100000)) for i in range(100000)) runs ~10**10 steps (minutes)."),
    case("self_extending_map_loop",
         "any(map(lambda x: xs.append(x) or len(xs) > 1500000, xs))", data={"xs": [0]},
         hole="map over a list that the mapped function appends to is an unbounded loop in a "
              "single expression, with no while and no budget charge. Unbounded form "
              "(gateway condition): any(map(xs.append, xs)) - loops until memory is exhausted."),
    case("exponential_recursion",
         "def f(n):\n    return 1 if n == 0 else f(n - 1) + f(n - 1)\nr = f(20)", "exec",
         hole="function calls are not charged to the budget: f(20) makes 2*10**6 calls on a "
              "10**6 budget; f(60) never finishes. Catching RecursionError in f gives the same."),
    # --- memory ------------------------------------------------------------------------------
    case("string_repeat_huge", "'a' * 10**9"),
    case("power_tower", "10**10**9"),
    case("pow_builtin_huge", "pow(10, 10**9)"),
    case("list_repeat_huge", "[0] * 10**9"),
    case("left_shift_huge", "1 << 10**9"),
    case("inplace_power", "x = 10\nx **= 10**9", "exec"),
    case("inplace_shift", "x = 1\nx <<= 10**9", "exec"),
    case("inplace_repeat", "s = 'a'\ns *= 10**9", "exec"),
    case("int_square_loop", "x = 3\nfor i in range(40):\n    x = x * x", "exec"),
    case("ljust_huge", "'x'.ljust(10**9)"),
    case("zfill_huge", "'1'.zfill(10**9)"),
    case("fstring_width_huge", "f'{1:>999999999}'"),
    case("fstring_computed_width", "f'{1:>{10**9}}'"),
    case("list_range_huge", "list(range(10**9))"),
    case("bytearray_huge", "bytearray(10**9)"),
    case("bytes_huge", "bytes(10**9)"),
    case("int_from_huge_string", "int('9' * 100000)"),
    case("str_type_ljust_bypass", "len(str.ljust('x', 10**7))",
         hole="the padding-method block checks isinstance(obj, str) but not the str type: "
              "str.ljust('x', 10**10) (also rjust/center/zfill/expandtabs) allocates 10 GB; "
              "evaluate() only checks the final result, after the allocation."),
    case("percent_width_padding", "len('%*s' % (10**7, ''))",
         hole="%-formatting with a computed width is not bounded: '%*s' % (10**10, '') "
              "allocates 10 GB (f-string widths are linted, % widths are not)."),
    case("str_replace_amplification", "len(('x' * 10000).replace('x', 'x' * 1000))",
         hole="str.replace multiplies sizes unchecked: ('x'*100000).replace('x', 'x'*100000) "
              "is 10**10 characters."),
    case("str_join_amplification", "len(''.join(['x' * 10000] * 1000))",
         hole="join over repeated references is unchecked: ''.join(['x'*100000]*100000) is "
              "10**10 characters (each factor passes the 100 000 cap)."),
    case("walrus_concat_doubling",
         "[(t := 'x' * 100000)] + [len(t := t + t) for i in range(7)]",
         hole="+ is not size-checked: doubling a string with walrus inside a comprehension in a "
              "gateway condition; range(7) gives 12.8 M characters, range(40) exhausts memory."),
    case("list_extend_doubling", "a = [0] * 100000\nfor i in range(7):\n    a.extend(a)", "exec",
         hole="list.extend/a = a + a are not size-checked; range(7) gives 12.8 M elements, "
              "range(40) exhausts memory; execute() never checks the sizes left in task data."),
    case("int_to_bytes_allocation", "len((0).to_bytes(10**7, 'big'))",
         hole="int.to_bytes(n) allocates n bytes: (0).to_bytes(10**10, 'big') is 10 GB."),
    case("repr_of_shared_references", "len(str(['x' * 100000] * 100))",
         hole="str()/repr() of a list of shared references: str(['x'*100000]*100000) builds a "
              "10**10-character string."),
    case("deeply_nested_unary_minus", "-" * 100000 + "1",
         hole="check_source() raises MemoryError (CPython parser) instead of returning a "
              "message for '-' * 100000 + '1', and evaluate() raises MemoryError; with "
              "'-' * 1000 + '1' check_source() raises RecursionError. compile_expression "
              "should turn RecursionError/MemoryError into SyntaxError."),
]


@pytest.mark.parametrize("attempt", ESCAPE_ATTEMPTS)
def test_escape_attempt_is_rejected_or_fails_safely(
    attempt: Case, canary: Canary, capfd: pytest.CaptureFixture[str]
) -> None:
    source = canary.fill(attempt.source)
    environ_before = dict(os.environ)
    files_before = sorted(canary.directory.iterdir())
    modes = ("eval", "exec") if attempt.mode == "eval" else ("exec",)
    outcomes = [_attempt(source, mode, copy.copy(attempt.data)) for mode in modes]

    captured = capfd.readouterr()
    texts = [t for o in outcomes for t in o.texts] + [captured.out, captured.err]
    leaks = [leak for text in texts for leak in canary.leaks(text)]
    assert not leaks, f"leaked {leaks}: {[o.describe() for o in outcomes]}"
    assert not canary.out_file.exists(), "a payload wrote a file"
    assert sorted(canary.directory.iterdir()) == files_before
    assert dict(os.environ) == environ_before
    unsafe = [o.describe() for o in outcomes if not o.safe]
    assert not unsafe, f"not rejected and did not fail safely: {unsafe}"


def test_corpus_is_large_enough() -> None:
    assert len(ESCAPE_ATTEMPTS) >= 40
    ids = [p.id for p in ESCAPE_ATTEMPTS]
    assert len(ids) == len(set(ids))


# --------------------------------------------------------------------------------------------
# Legitimate diagram code
# --------------------------------------------------------------------------------------------

TASK_DATA: dict[str, Any] = {
    "applicant": {"first_name": "  Alice ", "last_name": "Smith", "email": "A.Smith@Example.org"},
    "children": [{"name": "Ben", "age": 9}, {"name": "Cara", "age": 17}],
    "outcome_codes": ["Disclosure", "Deferred"],
    "risk_score": 42,
    "urgent": False,
    "limit_initial": "P28D",
    "contact_count": 3,
}

LEGITIMATE_EXPRESSIONS = [
    pytest.param("risk_score * 2 + 1 - 3 // 2 % 5", 84, id="arithmetic"),
    pytest.param("risk_score / 4", 10.5, id="true_division"),
    pytest.param("2 ** 10", 1024, id="small_power"),
    pytest.param("risk_score >= 40 and risk_score < 50", True, id="comparisons"),
    pytest.param("1 < contact_count <= 3", True, id="chained_comparison"),
    pytest.param("not urgent or risk_score > 90", True, id="boolean_logic"),
    pytest.param("applicant['first_name'].strip()", "Alice", id="dict_access_and_strip"),
    pytest.param("children[0]['age'] < 16", True, id="nested_access_comparison"),
    pytest.param("len(children)", 2, id="len"),
    pytest.param("sum(c['age'] for c in children)", 26, id="sum_over_generator"),
    pytest.param("any(c['age'] < 16 for c in children)", True, id="any"),
    pytest.param("all(c['age'] < 16 for c in children)", False, id="all"),
    pytest.param("f\"{applicant['last_name']}: {len(children)} children\"", "Smith: 2 children",
                 id="fstring"),
    pytest.param("f'{risk_score:>5}|{0.5:.1%}'", "   42|50.0%", id="fstring_short_spec"),
    pytest.param("outcome_codes + ['NoDisclosure']", ["Disclosure", "Deferred", "NoDisclosure"],
                 id="list_concatenation"),
    pytest.param("'Deferred' in outcome_codes", True, id="in_list"),
    pytest.param("'email' in applicant and 'phone' not in applicant", True, id="in_dict"),
    pytest.param("timedelta(days=2).days", 2, id="timedelta_helper"),
    pytest.param("timedelta(hours=36).total_seconds() / 3600", 36.0, id="timedelta_method"),
    pytest.param("applicant['email'].lower()", "a.smith@example.org", id="str_lower"),
    pytest.param("applicant['email'].lower().endswith('@example.org')", True, id="str_endswith"),
    pytest.param("limit_initial.startswith('P')", True, id="str_startswith"),
    pytest.param("'PT24H'", "PT24H", id="iso_duration_literal"),
    pytest.param("limit_initial", "P28D", id="iso_duration_variable"),
    pytest.param("'Case %s: %d child(ren)' % ('A1', len(children))", "Case A1: 2 child(ren)",
                 id="percent_formatting"),
    pytest.param("[c['name'] for c in children if c['age'] < 16]", ["Ben"], id="comprehension"),
    pytest.param("{c['name']: c['age'] for c in children}", {"Ben": 9, "Cara": 17},
                 id="dict_comprehension"),
    pytest.param("sorted(children, key=lambda c: -c['age'])[0]['name']", "Cara",
                 id="sorted_with_lambda"),
    pytest.param("max(c['age'] for c in children) - min(c['age'] for c in children)", 8,
                 id="max_min"),
    pytest.param("'-' * 20", "-" * 20, id="small_string_repeat"),
    pytest.param("list(range(3)) * 2", [0, 1, 2, 0, 1, 2], id="small_list_repeat"),
    pytest.param("round(risk_score / 9, 2)", 4.67, id="round"),
    pytest.param("applicant.get('phone', 'none')", "none", id="dict_get"),
    pytest.param("'Smith' if risk_score > 10 else 'x'", "Smith", id="conditional_expression"),
]


@pytest.mark.parametrize(("expression", "expected"), LEGITIMATE_EXPRESSIONS)
def test_legitimate_expression_passes_lint_and_evaluates(expression: str, expected: Any) -> None:
    assert sandbox.check_source(expression, "eval") is None
    assert sandbox.evaluate(expression, copy.deepcopy(TASK_DATA)) == expected


LEGITIMATE_SCRIPT = """\
total_age = 0
under_16 = []
for child in children:
    total_age += child['age']
    if child['age'] < 16:
        under_16.append(child['name'])
name = applicant['first_name'].strip() + ' ' + applicant['last_name']
codes = outcome_codes + ['NoDisclosure']
for i, code in enumerate(codes):
    if code.lower().startswith('no'):
        last_code_index = i
due_in_days = timedelta(days=28).days
label = f'{name}: {len(under_16)} under 16'
timer = 'PT24H'
deadline = limit_initial
contact_count += 1
"""


def test_legitimate_script_runs_and_leaves_only_data() -> None:
    assert sandbox.check_source(LEGITIMATE_SCRIPT, "exec") is None
    data = sandbox.execute(LEGITIMATE_SCRIPT, copy.deepcopy(TASK_DATA))
    assert data["total_age"] == 26
    assert data["under_16"] == ["Ben"]
    assert data["name"] == "Alice Smith"
    assert data["codes"] == ["Disclosure", "Deferred", "NoDisclosure"]
    assert data["last_code_index"] == 2
    assert data["due_in_days"] == 28
    assert data["label"] == "Alice Smith: 1 under 16"
    assert data["timer"] == "PT24H"
    assert data["deadline"] == "P28D"
    assert data["contact_count"] == 4
    # Guards, builtins and helpers must not be left behind in the task data.
    leftovers = [k for k in data if k.startswith("_") or k in sandbox.HELPERS or callable(data[k])]
    assert leftovers == []


def test_script_defining_a_function_runs_and_the_function_is_not_kept() -> None:
    script = "def risk(c):\n    return c['age'] < 16\nflags = [risk(c) for c in children]\n"
    data = sandbox.execute(script, copy.deepcopy(TASK_DATA))
    assert data["flags"] == [True, False]
    assert "risk" not in data


def test_data_keys_cannot_shadow_guards_in_an_expression() -> None:
    calls: list[str] = []

    def spy(*args: Any, **kwargs: Any) -> Any:
        calls.append("called")
        return getattr(*args, **kwargs)

    data = {"_getattr_": spy, "_getitem_": spy, "_getiter_": spy, "x": {"a": [1, 2]}}
    assert sandbox.evaluate("sum(v for v in x['a']) + timedelta(days=1).days", data) == 4
    assert calls == []


def test_data_keys_named_like_guards_are_refused_for_scripts() -> None:
    with pytest.raises(ValueError, match="overwrites a predefined"):
        sandbox.execute("y = 1", {"_getattr_": "not a guard"})


# --------------------------------------------------------------------------------------------
# Through SpiffWorkflow
# --------------------------------------------------------------------------------------------

ATTACK_CONDITION = "__import__('os').system('echo PWNED') == 0"
LEGIT_CONDITION = "len(children) > 0 and children[0]['age'] < 16"


def _flow(flow_id: str, source: str, target: str, condition: str | None = None) -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}"/>'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{escape(condition)}'
        "</bpmn:conditionExpression></bpmn:sequenceFlow>"
    )


def _gateway(gateway_id: str, incoming: str, outgoing: list[str], default: str = "") -> str:
    default_attr = f' default="{default}"' if default else ""
    flows = "".join(f"<bpmn:outgoing>{o}</bpmn:outgoing>" for o in outgoing)
    return (
        f'<bpmn:exclusiveGateway id="{gateway_id}"{default_attr}>'
        f"<bpmn:incoming>{incoming}</bpmn:incoming>{flows}</bpmn:exclusiveGateway>"
    )


def _end(event_id: str, incoming: str) -> str:
    return (
        f'<bpmn:endEvent id="{event_id}">'
        f"<bpmn:incoming>{incoming}</bpmn:incoming></bpmn:endEvent>"
    )


def _gateway_diagram(attack_condition: str) -> bytes:
    """start -> route; route --(path == 'attack')--> attack_gw --(payload)--> end_pwned;
    route --(default)--> legit_gw --(first child under 16)--> end_child | default --> end_adult.
    """
    elements = [
        '<bpmn:startEvent id="start"><bpmn:outgoing>f_start</bpmn:outgoing></bpmn:startEvent>',
        _flow("f_start", "start", "route"),
        _gateway("route", "f_start", ["f_attack", "f_legit"], default="f_legit"),
        _flow("f_attack", "route", "attack_gw", "path == 'attack'"),
        _flow("f_legit", "route", "legit_gw"),
        _gateway("attack_gw", "f_attack", ["f_pwned"]),
        _flow("f_pwned", "attack_gw", "end_pwned", attack_condition),
        _end("end_pwned", "f_pwned"),
        _gateway("legit_gw", "f_legit", ["f_child", "f_adult"], default="f_adult"),
        _flow("f_child", "legit_gw", "end_child", LEGIT_CONDITION),
        _flow("f_adult", "legit_gw", "end_adult"),
        _end("end_child", "f_child"),
        _end("end_adult", "f_adult"),
    ]
    body = "\n    ".join(elements)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs"
    targetNamespace="http://example.org/sandbox-test">
  <bpmn:process id="gate" isExecutable="true">
    {body}
  </bpmn:process>
</bpmn:definitions>
""".encode()


def _workflow(attack_condition: str, data: dict[str, Any]) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(_gateway_diagram(attack_condition))
    workflow = BpmnWorkflow(parser.get_spec("gate"), script_engine=sandbox.script_engine())
    workflow.task_tree.data.update(data)
    return workflow


def _completed_ids(workflow: BpmnWorkflow) -> set[str]:
    return {t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)} - {None}


def test_gateway_condition_with_import_payload_errors_and_does_not_run(
    capfd: pytest.CaptureFixture[str],
) -> None:
    workflow = _workflow(ATTACK_CONDITION, {"path": "attack"})
    with pytest.raises(WorkflowTaskException):
        workflow.do_engine_steps()
    captured = capfd.readouterr()
    assert "PWNED" not in captured.out + captured.err
    assert [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.ERROR)] == ["attack_gw"]
    assert "end_pwned" not in _completed_ids(workflow)
    assert not workflow.is_completed()


@pytest.mark.parametrize(
    ("age", "end_event"), [pytest.param(12, "end_child", id="child"),
                           pytest.param(17, "end_adult", id="adult")]
)
def test_gateway_with_legitimate_condition_routes_correctly(age: int, end_event: str) -> None:
    workflow = _workflow(ATTACK_CONDITION, {"path": "legit", "children": [{"age": age}]})
    workflow.do_engine_steps()
    assert workflow.is_completed()
    completed = _completed_ids(workflow)
    assert end_event in completed
    assert not ({"end_child", "end_adult", "end_pwned"} - {end_event}) & completed
    assert "attack_gw" not in completed


def test_gateway_condition_cannot_raise_base_exception_out_of_the_engine() -> None:
    workflow = _workflow("(x for x in [1]).throw(SystemExit(3))", {"path": "attack"})
    try:
        workflow.do_engine_steps()
    except BaseException as exc:  # noqa: BLE001 - must not be SystemExit
        assert isinstance(exc, WorkflowTaskException), f"{type(exc).__name__} escaped the engine"
    else:
        pytest.fail("the condition did not fail")
