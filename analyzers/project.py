"""Whole-project model (modules, classes, functions, call graph), built once per audit run.

Each file is summarized with the standard `ast` module (three times faster to parse than
libcst, and the summary is plain picklable data, so workers build summaries in parallel and
the cache stores them). `ProjectModel.build` joins the summaries: it resolves calls to project
functions by qualified name (imports across modules, `self.method` through the class and its
project bases, `self._attr.method` when `self._attr = SomeClass(...)`), and derives which
functions are coroutines, which run on the Qt GUI thread (slots, `*Event` overrides, `paint`,
event filters, signal/QTimer targets), which run in worker threads, and which loops are
periodic.

Rules reach the model through `FileContext.project`. The cross-function question rules ask
most, "does this sync function block, and through which calls?", is `blocking_chain`.
"""

from __future__ import annotations

import ast
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeGuard, TypeVar

from analyzers.findings import ChainStep
from analyzers.matching import blocking_kind
from analyzers.reachability import References, import_statements, references_of

QT_PACKAGES = ("PySide6", "PySide2", "PyQt5", "PyQt6", "qtpy", "NodeGraphQt")
# Methods Qt calls on the GUI thread when they override a QWidget/QGraphicsItem/QObject method.
QT_CALLBACK_NAMES = frozenset(
    {
        "paint",
        "boundingRect",
        "shape",
        "itemChange",
        "drawBackground",
        "drawForeground",
        "eventFilter",
        "event",
        "sceneEvent",
    }
)
_SLOT_DECORATORS = frozenset({"Slot", "pyqtSlot"})
# Callables handed to these run in another thread.
_THREAD_SPAWNERS = frozenset(
    {"threading.Thread", "threading.Timer", "concurrent.futures.ThreadPoolExecutor.submit"}
)
_THREAD_METHODS = frozenset({"submit", "run_in_executor", "to_thread", "start_new_thread"})
_LOCK_FACTORIES = frozenset(
    {"threading.Lock", "threading.RLock", "threading.Condition", "threading.Semaphore"}
)
_SLEEPS = frozenset({"time.sleep", "asyncio.sleep", "trio.sleep", "anyio.sleep"})
# Decorators that make a function compute once (per argument set) and then return the result.
_CACHES = frozenset({"cache", "lru_cache", "cached_property", "memoize", "memoized"})
# `@app.command()` (typer), `@click.command()`, `@cli.group()`: run once per invocation.
_CLI_DECORATORS = frozenset({"command", "group", "callback"})
# Methods that run once per object or per application: construction and set-up.
_ONCE_NAMES = re.compile(
    r"^_*(?:init|new|post_init|init_subclass|setupUi|retranslateUi|main)_*$"
    r"|^_?(?:setup|set_up|init|initialize|initialise|install|register_routes|connect_signals"
    r"|build_ui|create_ui|create_actions|create_menus|create_widgets|create_toolbars?"
    r"|create_layout)(?:_|$)",
    re.I,
)
# Lifecycle teardown: runs once per object, at the end of its life (`stop_x`, `close_page`
# and `cleanup_idle` are not here: they act on one part and may run again and again).
_TEARDOWN_NAMES = re.compile(
    r"^_*(?:on_)?(?:shutdown|shut_down|stop|close|aclose|cleanup|clean_up|teardown|tear_down"
    r"|exit|unload|dispose|aexit)_*$",
    re.I,
)
# Names of code that runs once, when the program (or the machine) goes down or after a
# crash: `perform_graceful_shutdown`, `_shutdown_system_after_notice`, `onAppQuit`,
# `crashData`, `poweroff`, `restartApp`. "exit" counts as the program's exit only at the end
# of the name or before handler/hook words (`exit_handler`, `on_app_exit`), not
# `exit_edit_mode`; "restart" only for the application (`restart_worker` repeats).
_SHUTDOWN_WORDS = frozenset(
    {"shutdown", "poweroff", "reboot", "quit", "crash", "crashed", "crashes", "atexit"}
    | {"excepthook"}
)
_APP_WORDS = frozenset({"app", "application", "program"})
_EXIT_FOLLOWERS = _APP_WORDS | {"", "handler", "hook", "cleanup"}
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# Signals and hooks whose handlers run once, as the application quits.
_QUIT_HOOKS = ("aboutToQuit.connect", "lastWindowClosed.connect")
_STOP_SIGNALS = frozenset({"signal.SIGTERM", "signal.SIGINT", "signal.SIGBREAK", "signal.SIGHUP"})
# Handlers of a failure by name: `on_error`, `handle_failure`, `_show_error_dialog`,
# `onDownloadFailed`, `report_exception`, `handle_unable_to_export` (not `update_errors`,
# which may run per keystroke).
_FAILURE_WORDS = frozenset({"error", "errors", "failure", "failed", "fail", "exception", "unable"})
_HANDLER_WORDS = frozenset({"on", "handle", "show", "report", "notify", "display", "log"})


def error_handler_name(name: str) -> bool:
    """The function's name says it handles a failure."""
    words = [w.lower() for w in _NAME_WORDS.findall(name)]
    return bool(words) and (
        (words[0] in _HANDLER_WORDS or words[-1] in ("handler", "callback"))
        and any(w in _FAILURE_WORDS for w in words)
    )


_CRASH_WORD = re.compile(r"(?i)crash|excepthook")
_SHUTDOWN_HINT = re.compile(r"(?i)shut|power|reboot|quit|crash|exit|restart|excepthook")


def shutdown_name(name: str) -> bool:
    """The function's name says it runs at shutdown, power-off or after a crash."""
    if name.startswith("__") or not _SHUTDOWN_HINT.search(name):
        return False  # `__exit__`/`__aexit__`: a context manager's exit, once per `with`
    words = [w.lower() for w in _NAME_WORDS.findall(name)]
    if not words:
        return False
    words = [
        "shutdown" if (w, n) in {("shut", "down"), ("power", "off")} else w
        for w, n in zip(words, [*words[1:], ""], strict=True)
    ]
    if any(w in _SHUTDOWN_WORDS for w in words):
        return True
    followers = [*words[1:], ""]
    return any(
        (w == "exit" and after in _EXIT_FOLLOWERS)
        or (w == "restart" and after in _APP_WORDS)  # `restartApp`, not `restart_worker`
        for w, after in zip(words, followers, strict=True)
    )


# Event-loop runners: `asyncio.run(main())`, `loop.run_until_complete(serve())`.
_LOOP_RUNNERS = frozenset({"run", "run_until_complete"})
T = TypeVar("T")


@dataclass
class CallSite:
    """One call in a function body (nested functions and lambdas excluded)."""

    line: int
    end_line: int
    col: int
    target: str  # resolved dotted name: "time.sleep", "self._save", "pkg.mod.helper"
    awaited: bool = False
    in_loop: bool = False
    callables: tuple[str, ...] = ()  # resolved dotted names passed as arguments
    loop_line: int = 0  # innermost enclosing loop's line, 0 when not in a loop
    discarded: bool = False  # the result is thrown away (the call is a statement)
    formats: bool = False  # first argument is built eagerly: f-string, `%` or `.format()`
    # When `formats`: the source of each value formatted into it (`{event}` -> "event").
    format_values: tuple[str, ...] = ()
    # Keyword names the call passes ("*" for `**kw`) and how many positional arguments
    # (-1 with `*args`): whether a parameter keeps its default in the callee.
    keywords: tuple[str, ...] = ()
    nargs: int = 0
    # Keyword arguments passed as constants, with their truth value ("find_all=1" for
    # `find_all=True`): which branch of an `if find_all:` in the callee runs for this caller.
    constants: tuple[str, ...] = ()
    in_except: bool = False  # inside an `except` block (runs on the error path only)
    # An unconditional `break`/`return`/`raise` follows the call in its loop's body (a retry
    # loop that exits on success): it runs at most once per pass of the loop, and the loop is
    # not inside another loop, so the call is not repeated.
    leaves_loop: bool = False
    # For a copy or serialization call (`_COPY_CALLS`): what its first argument is, as
    # source ("self.context.variables", "payload"), or "<item>" when it is built from a name
    # bound anew on each iteration of a loop around the call (the item's own element).
    copies: str = ""
    # Conditions the call runs under, from the `if` statements around it (see `_branch_guards`):
    # "platform:<OS>" (only on that OS), "once" (a first-creation branch such as
    # `if self._x is None:`; with "per-key" for `if key not in self._x:`, once per key),
    # "loop-idle" (only when no event loop is running), "file-once"
    # (`if not os.path.exists(p):` around `open(p, "w")`: once per file), "unless-arg:<p>"
    # (`if not show_gui:` with `show_gui=True`: not taken while the caller leaves p out),
    # "when-arg:<p>=<0|1>" (the branch runs only while p has that truth value: a caller
    # passing `p=True` explicitly skips the branch of `if not p:`), "key" (the branch picks
    # one key or shortcut, `if event.key() == Qt.Key_Return:`: once per that key press),
    # "install-once" (`if not x.is_installed():` or after `if x.is_installed(): return`: once
    # per install), "on-error" (a branch that handles a failure, see `_handles_failure`),
    # "power-off" (the call itself runs a command that turns the machine off), "rename" (a
    # `shutil.move` to a path in the same folder or under the same base path), "small-file" (a
    # copy of one named settings file): see `returns_at_once`; "short-retry" (`time.sleep(0.1)`
    # in `for _ in range(3):`: under a second in all); "same-args" (the function calls itself
    # with its own parameters, unchanged: a retry, not a step along data); "if-alive" (under
    # `if t.is_alive():`, a defensive check before a join).
    guards: tuple[str, ...] = ()


@dataclass
class LockUse:
    """`with self._lock:` in a function, and the first await inside it (0 if none)."""

    line: int
    lock: str  # "self._lock"
    await_line: int = 0
    end_line: int = 0  # last line of the `with` block
    # How the lock is taken when not by `with self._lock:` itself: "@with_lock" (a decorator
    # whose wrapper holds it for the whole call) or "self._locked()" (a context helper).
    via: str = ""


@dataclass
class PeriodicLoop:
    """`while <running>:` whose body sleeps: runs once per tick for the life of the object."""

    line: int
    end_line: int
    sleep_line: int
    interval: str  # source of the sleep argument, "" if none


@dataclass
class ContainerUse:
    """A `self.<attr>` dict/list/set: where it is created, grown and shrunk."""

    kind: str  # "dict", "list", "set", "deque", "weak", "?" (not seen created)
    line: int
    bounded: bool = False  # deque(maxlen=...)
    empty: bool = False  # created empty in __init__ (`[]`, `{}`, `set()`, `deque(maxlen=n)`)
    adds: list[tuple[int, str]] = field(default_factory=list)  # (line, how)
    removes: list[tuple[int, str]] = field(default_factory=list)
    # add line -> source of the key or member added there (`self._jobs[job.id] = ...` ->
    # "job.id", `self._seen.add(msg_id)` -> "msg_id"), for "what is it keyed by?"
    keys: dict[int, str] = field(default_factory=dict)


@dataclass
class FunctionInfo:
    qualname: str
    name: str
    module: str
    relpath: str
    line: int
    end_line: int
    is_async: bool
    cls: str = ""  # qualified name of the class it is a method of
    decorators: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    # How the function handles every exception its body raises ("`@log_exceptions`",
    # "a broad `except`"), "" when an exception escapes to the caller (or a task's result).
    catches_all: str = ""
    calls: list[CallSite] = field(default_factory=list)
    lock_uses: list[LockUse] = field(default_factory=list)
    loops: list[PeriodicLoop] = field(default_factory=list)
    # line of each for-loop / comprehension -> source of what it iterates over
    loop_iters: dict[int, str] = field(default_factory=dict)
    # line of each loop (for, while, comprehension) -> line of the loop around it (0: none)
    loop_parents: dict[int, int] = field(default_factory=dict)
    # (first, last) line of each for/while loop, for "is this line inside a loop?"
    loop_spans: list[tuple[int, int]] = field(default_factory=list)
    # local name -> constructor it was bound to (`worker = Worker()`), for `worker.moveToThread`
    local_types: dict[str, str] = field(default_factory=dict)
    # local name -> line of its last `name = call(...)` or `name = [... comprehension]` (a
    # value recomputed inside a loop is per item: `conns = self._from_port(node, port)` or
    # `ins = [e for e in node.inputs]` is not the whole edge list)
    local_call_lines: dict[str, int] = field(default_factory=dict)
    # A decorator whose wrapper calls the function inside `with self.<lock>:` -> "self.<lock>"
    # (`lock_wrapper_async`: the wrapper is a coroutine, so the lock spans the awaits too).
    lock_wrapper: str = ""
    lock_wrapper_async: bool = False
    # A `@contextmanager` method that yields inside `with self.<lock>:` -> "self.<lock>".
    holds_lock: str = ""
    # `with self._locked():` blocks: resolved into lock_uses once the helper is known.
    helper_withs: list[LockUse] = field(default_factory=list)
    # Line where the function says the app must restart (`self.state = State.restart_required`,
    # `self.request_restart()`), 0 if none: an update that ends so runs once per update.
    asks_restart: int = 0
    # It raises when a file it walks is over a size limit (`if p.stat().st_size > limit:
    # raise`): it only removes or copies folders of small files.
    refuses_large_files: bool = False
    # A coroutine whose own body has an `await`, `async for` or `async with` (False: it
    # runs to its end in the first step of its task, so the task is never pending).
    suspends: bool = True

    def in_loop_at(self, line: int) -> bool:
        return any(first <= line <= last for first, last in self.loop_spans)


@dataclass
class ClassInfo:
    qualname: str
    name: str
    module: str
    relpath: str
    line: int
    end_line: int
    bases: tuple[str, ...] = ()
    methods: dict[str, str] = field(default_factory=dict)  # name -> function qualname
    attr_types: dict[str, str] = field(default_factory=dict)  # "_queue" -> "pkg.JobQueue"
    lock_attrs: dict[str, str] = field(default_factory=dict)  # "_lock" -> "threading.Lock"
    containers: dict[str, ContainerUse] = field(default_factory=dict)  # "_jobs" -> use
    attr_lines: dict[str, int] = field(default_factory=dict)  # where attr_types were set
    # attr_types known only from an annotation (`self._s = session` with `session: Session`):
    # the object is handed in, not made here, so its owner is elsewhere.
    injected: set[str] = field(default_factory=set)
    # Qt signals declared in the class body: "changed" -> ("builtins.dict",) (payload types,
    # resolved names or the C++ type string as written, e.g. "QVariantMap")
    signals: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class ModuleSummary:
    """Everything the project model needs from one file; plain data (cached, pickled)."""

    relpath: str
    module: str
    lines: int
    imports: dict[str, str] = field(default_factory=dict)
    functions: list[FunctionInfo] = field(default_factory=list)
    classes: list[ClassInfo] = field(default_factory=list)
    symbols: list[tuple[int, int, str]] = field(default_factory=list)
    uses_qt: bool = False
    # Attribute names used in functions that disconnect something (`sig.disconnect()`,
    # `disconnect_slots_if_has(sig)`, a loop over a tuple of signals): the signals this
    # module disconnects, whichever class connected them.
    disconnects: set[str] = field(default_factory=set)
    # Call targets run at import time or from the `if __name__ == "__main__":` block: module
    # level code runs once, and so does a function only it calls.
    module_calls: list[str] = field(default_factory=list)
    # What the module imports and names, for "nothing reaches this code" (`reachability`).
    references: References | None = None


def module_name_for(relpath: str) -> str:
    """`src/casare_rpa/orchestrator/engine.py` -> `casare_rpa.orchestrator.engine`.

    A leading `src/` is dropped (the usual layout) and `__init__` names its package.
    """
    parts = relpath.replace("\\", "/").removesuffix(".py").split("/")
    if parts and parts[0] == "src":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _dotted(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base is not None else None
    return None


class _Summarizer:
    """Walks one module's ast once and fills a ModuleSummary."""

    def __init__(self, tree: ast.Module, relpath: str, module: str, is_package: bool) -> None:
        self.tree = tree
        self.summary = ModuleSummary(relpath=relpath, module=module, lines=0)
        self.package = module if is_package else module.rpartition(".")[0]
        self.imports = self.summary.imports
        self._discarded: set[int] = set()
        self._shared: frozenset[str] = frozenset()
        self._in_except: set[int] = set()
        self._leaving: set[int] = set()  # calls followed by a loop exit (`CallSite.leaves_loop`)
        # Locals bound to a path in the same folder as another (`dst = src.with_name(n)`):
        # (function, local) -> the other path's source. A move between them is a rename.
        self._siblings: dict[tuple[str, str], str] = {}
        # Path values bound to locals and `self.<attr>` (first binding): (function or class,
        # name) -> the value; a move between two paths built from one base is a rename.
        self._path_values: dict[tuple[str, str], tuple[str, ast.expr]] = {}
        self._param_types: dict[str, str] = {}
        self._flag_defaults: dict[str, bool] = {}
        # (first, last) lines of the current function's statements no path reaches.
        self._dead_spans: list[tuple[int, int]] = []
        self._loop_nodes: dict[int, ast.AST] = {}  # the current function's loops by line
        self._collect_imports(tree)
        self.summary.uses_qt = any(v.split(".", 1)[0] in QT_PACKAGES for v in self.imports.values())

    # -- names -------------------------------------------------------------------------------
    def _collect_imports(self, tree: ast.AST) -> None:
        self.import_nodes = list(import_statements(tree))  # reused by `references_of`
        for node in self.import_nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        self.imports.setdefault(alias.asname, alias.name)
                    else:
                        head = alias.name.split(".", 1)[0]
                        self.imports.setdefault(head, head)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg_parts = self.package.split(".") if self.package else []
                    if node.level > 1:
                        pkg_parts = pkg_parts[: len(pkg_parts) - (node.level - 1)]
                    base = ".".join([*pkg_parts, base] if base else pkg_parts)
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    full = f"{base}.{alias.name}" if base else alias.name
                    self.imports.setdefault(alias.asname or alias.name, full)

    def resolve(self, node: ast.AST, local_defs: Mapping[str, str]) -> str | None:
        dotted = _dotted(node)
        if dotted is None:
            return None
        head, _, rest = dotted.partition(".")
        if head in ("self", "cls"):
            return dotted
        if head in local_defs:
            full = local_defs[head]
        elif head in self.imports:
            full = self.imports[head]
        elif head in _BUILTIN_NAMES:
            full = f"builtins.{head}"
        else:
            full = head
        return f"{full}.{rest}" if rest else full

    # -- walk --------------------------------------------------------------------------------
    def run(self) -> ModuleSummary:
        module_defs = {
            n.name: f"{self.summary.module}.{n.name}"
            for n in self.tree.body
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        }
        self._body(self.tree.body, prefix=self.summary.module, cls=None, defs=module_defs, sym="")
        self._module_calls(module_defs)
        self.summary.symbols.sort()
        return self.summary

    def _module_calls(self, defs: Mapping[str, str]) -> None:
        """Calls made by import-time code and the `__main__` block (not inside defs)."""
        todo: list[ast.AST] = [
            n
            for n in self.tree.body
            if not isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        ]
        while todo:
            node = todo.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(node, ast.Call):
                target = self.resolve(node.func, defs)
                if target:
                    self.summary.module_calls.append(target)
                for arg in (*node.args, *(k.value for k in node.keywords)):
                    ref = self.resolve(arg, defs) if isinstance(arg, ast.Name) else None
                    if ref:  # atexit.register(cleanup), run(main)
                        self.summary.module_calls.append(ref)
            todo.extend(ast.iter_child_nodes(node))

    def _body(
        self,
        body: list[ast.stmt],
        prefix: str,
        cls: ClassInfo | None,
        defs: Mapping[str, str],
        sym: str,
    ) -> None:
        for node in body:
            if isinstance(node, ast.ClassDef):
                self._class(node, prefix, defs, sym)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(node, prefix, cls, defs, sym)
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                for name in ("body", "orelse", "finalbody"):
                    self._body(getattr(node, name, []) or [], prefix, cls, defs, sym)
                for handler in getattr(node, "handlers", []) or []:
                    self._body(handler.body, prefix, cls, defs, sym)

    def _class(self, node: ast.ClassDef, prefix: str, defs: Mapping[str, str], sym: str) -> None:
        qual = f"{prefix}.{node.name}"
        symbol = f"{sym}{node.name}"
        self.summary.symbols.append((node.lineno, node.end_lineno or node.lineno, symbol))
        bases = tuple(b for b in (self.resolve(base, defs) for base in node.bases) if b)
        info = ClassInfo(
            qualname=qual,
            name=node.name,
            module=self.summary.module,
            relpath=self.summary.relpath,
            line=node.lineno,
            end_line=node.end_lineno or node.lineno,
            bases=bases,
        )
        self.summary.classes.append(info)
        for stmt in node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                info.methods[stmt.name] = f"{qual}.{stmt.name}"
            elif isinstance(stmt, (ast.Assign, ast.AnnAssign)):
                self._signal(stmt, info, defs)
        self._body(node.body, qual, info, defs, symbol + ".")

    def _signal(
        self, stmt: ast.Assign | ast.AnnAssign, info: ClassInfo, defs: Mapping[str, str]
    ) -> None:
        """`changed = Signal(dict)` in a class body -> info.signals["changed"]."""
        value = stmt.value
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        if not isinstance(value, ast.Call) or len(targets) != 1:
            return
        if not isinstance(targets[0], ast.Name):
            return
        ctor = self.resolve(value.func, defs) or ""
        if ctor.rsplit(".", 1)[-1] not in ("Signal", "pyqtSignal"):
            return
        if ctor.split(".", 1)[0] not in QT_PACKAGES:
            return
        payload: list[str] = []
        for arg in value.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                payload.append(arg.value)
            else:
                payload.append(self.resolve(arg, defs) or "?")
        if ctor.startswith(("PyQt5.", "PyQt6.")):
            # PyQt converts only list/str/bool/int/float; a dict goes by reference.
            payload = ["PyQt_PyObject" if p in ("builtins.dict", "dict") else p for p in payload]
        info.signals[targets[0].id] = tuple(payload)

    def _function(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        prefix: str,
        cls: ClassInfo | None,
        defs: Mapping[str, str],
        sym: str,
    ) -> None:
        qual = f"{prefix}.{node.name}"
        symbol = f"{sym}{node.name}"
        self.summary.symbols.append((node.lineno, node.end_lineno or node.lineno, symbol))
        decorators = []
        for dec in node.decorator_list:
            target = dec.func if isinstance(dec, ast.Call) else dec
            name = self.resolve(target, defs)
            if name:
                decorators.append(name)
        args = node.args
        params = tuple(a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs))
        info = FunctionInfo(
            qualname=qual,
            name=node.name,
            module=self.summary.module,
            relpath=self.summary.relpath,
            line=node.lineno,
            end_line=node.end_lineno or node.lineno,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            cls=cls.qualname if cls else "",
            decorators=tuple(decorators),
            params=params,
            # only a coroutine is handed to create_task (CIA202 asks); sync bodies skip the walk
            catches_all=(
                _catches_all(node, decorators) if isinstance(node, ast.AsyncFunctionDef) else ""
            ),
        )
        if isinstance(node, ast.AsyncFunctionDef):
            info.suspends = _suspends(node)
        self.summary.functions.append(info)
        wrapper = _lock_wrapper(node)
        if wrapper is not None:
            info.lock_wrapper, info.lock_wrapper_async = wrapper
        if any(d.rsplit(".", 1)[-1] in _CONTEXT_MANAGERS for d in decorators):
            info.holds_lock = _yields_under_lock(node)
        # `def __init__(self, store: SessionStore)` then `self._store = store`: the attribute
        # gets the annotated type (dependency injection hides the constructor call).
        self._param_types = {
            a.arg: t
            for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)
            if (t := self._annotated_type(a.annotation, defs))
        }
        # `def f(show_gui=True)`: parameters with a constant default -> its truth value
        positional = (*args.posonlyargs, *args.args)
        pairs = [
            *zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True)
        ]
        pairs += [
            (a, d) for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None
        ]
        self._flag_defaults = {
            a.arg: bool(d.value) for a, d in pairs if isinstance(d, ast.Constant)
        }
        local_defs = dict(defs)
        nested: list[ast.stmt] = []
        # Names the function declares global: `if _cache is None: _cache = load()` creates
        # them once; any other bare name is a local, created again on every call.
        self._loop_nodes = {}
        self._shared = frozenset(
            name
            for stmt in node.body  # declared at the top, where Python style puts them
            if isinstance(stmt, (ast.Global, ast.Nonlocal))
            for name in stmt.names
        )
        self._dead_spans = _unreachable_spans(node.body)
        self._scan(node.body, info, cls, local_defs, nested, loop_line=0)
        # Nested functions are functions of their own (run at another time than the outer).
        if any("disconnect" in c.target.rsplit(".", 1)[-1].lower() for c in info.calls):
            self.summary.disconnects.update(
                n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
            )
        self._body(nested, qual, None, local_defs, symbol + ".")

    def _scan(
        self,
        stmts: Iterable[ast.AST],
        info: FunctionInfo,
        cls: ClassInfo | None,
        defs: dict[str, str],
        nested: list[ast.stmt],
        loop_line: int,
    ) -> None:
        """Collect calls, lock uses and periodic loops, without entering nested scopes."""
        none: tuple[str, ...] = ()
        stack: list[tuple[ast.AST, int, bool, tuple[str, ...]]] = [
            (s, loop_line, False, g)
            for s, g in _sequence_guards(
                list(stmts), none, self.imports, self._shared, self._flag_defaults
            )
        ]
        stack.reverse()
        special = _SCAN_SPECIAL
        while stack:
            node, in_loop, awaited, guards = stack.pop()
            if type(node) not in special:
                # Most nodes (names, attributes, constants, operators...) only lead to their
                # children: push those, minus the childless context/operator singletons.
                children = [(c, in_loop, False, guards) for c in _scan_children(node)]
                children.reverse()
                stack.extend(children)
                continue
            if isinstance(node, ast.ExceptHandler):
                for sub in node.body:
                    self._in_except.update(id(n) for n in ast.walk(sub) if isinstance(n, ast.Call))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                nested.append(node)
                if not isinstance(node, ast.ClassDef):
                    defs[node.name] = f"{info.qualname}.{node.name}"
                continue
            if isinstance(node, ast.Lambda):
                if cls is not None:
                    self._lambda_shrinks(node, cls, info)
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                self._discarded.add(id(node.value))
            if isinstance(node, ast.Call):
                self._call(node, info, cls, defs, in_loop, awaited, guards)
                if cls is not None:
                    self._container_call(node, cls, info)
            elif isinstance(node, ast.Delete) and cls is not None:
                for target in node.targets:
                    if isinstance(target, ast.Subscript):
                        # `del self.cache[outer][inner]` shrinks what `self.cache` holds.
                        held = target.value
                        while isinstance(held, ast.Subscript):
                            held = held.value
                        self._container_event(cls, held, node.lineno, "del", info)
            elif isinstance(node, ast.AugAssign) and cls is not None:
                self._container_event(cls, node.target, node.lineno, "augassign", info)
            elif isinstance(node, (ast.With, ast.AsyncWith)) and cls is not None:
                self._with(node, info)
            elif isinstance(node, ast.While):
                self._while(node, info, defs)
            elif (isinstance(node, ast.Assign) and cls is not None) or (
                isinstance(node, ast.AnnAssign) and cls is not None and node.value is not None
            ):
                self._assign(node, cls, defs, info)
            if (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, ast.Call)
            ):
                ctor = self.resolve(node.value.func, defs)
                if ctor:
                    info.local_types[node.targets[0].id] = ctor
                    info.local_call_lines[node.targets[0].id] = node.lineno
                sibling = _sibling_of(node.value)
                if sibling:
                    self._siblings[(info.qualname, node.targets[0].id)] = sibling
            elif (
                isinstance(node, ast.Assign)
                and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)
                and isinstance(node.value, (ast.ListComp, ast.SetComp, ast.GeneratorExp))
            ):
                info.local_call_lines[node.targets[0].id] = node.lineno
            if isinstance(node, ast.Assign) and isinstance(node.value, _PATH_VALUES):
                self._path_value(node.targets[0], node.value, info)
                if (
                    not info.asks_restart
                    and isinstance(node.value, ast.Attribute)
                    and _RESTART.search(node.value.attr)
                ):
                    info.asks_restart = node.lineno
            children: list[tuple[ast.AST, int, bool, tuple[str, ...]]] = []
            if isinstance(node, ast.If):
                body_guards, else_guards = _branch_guards(node, self.imports, self._shared)
                flag_body, flag_else = _flag_guards(node.test, self._flag_defaults)
                body_guards, else_guards = (*body_guards, *flag_body), (*else_guards, *flag_else)
                children.append((node.test, in_loop, False, guards))
                if in_loop:  # "branch:<loop line>": runs on some iterations of that loop
                    body_guards = (*body_guards, f"branch:{in_loop}")
                    else_guards = (*else_guards, f"branch:{in_loop}")
                if _handles_failure(node.body):
                    body_guards = (*body_guards, "on-error")
                    if isinstance(node.body[-1], ast.Raise) and _over_size_limit(node.test):
                        info.refuses_large_files = True
                if node.orelse and _handles_failure(node.orelse):
                    else_guards = (*else_guards, "on-error")
                for branch, extra in ((node.body, body_guards), (node.orelse, else_guards)):
                    children += [
                        (c, in_loop, False, g)
                        for c, g in _sequence_guards(
                            branch,
                            _joined(guards, extra),
                            self.imports,
                            self._shared,
                            self._flag_defaults,
                        )
                    ]
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
                # The iterable / test of a loop runs once per iteration only for `while`.
                head = [node.test] if isinstance(node, ast.While) else [node.iter]
                line = node.lineno
                info.loop_parents.setdefault(line, in_loop)
                self._loop_nodes.setdefault(line, node)
                info.loop_spans.append((line, node.end_lineno or line))
                if not isinstance(node, ast.While):
                    info.loop_iters[line] = _short_source(node.iter)
                self._leaving.update(_calls_before_exit(node.body, nested_loop=bool(in_loop)))
                head_loop = line if isinstance(node, ast.While) else in_loop
                children += [(h, head_loop, False, guards) for h in head]
                children += [(s, line, False, guards) for s in node.body]
                children += [(s, in_loop, False, guards) for s in node.orelse]
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                line = node.lineno
                info.loop_parents.setdefault(line, in_loop)
                self._loop_nodes.setdefault(line, node)
                if node.generators:
                    info.loop_iters.setdefault(line, _short_source(node.generators[0].iter))
                for gen in node.generators:
                    children.append((gen.iter, in_loop, False, guards))
                    children += [(c, line, False, guards) for c in gen.ifs]
                elts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
                children += [(e, line, False, guards) for e in elts]
            elif isinstance(node, ast.Await):
                children.append((node.value, in_loop, True, guards))
            else:
                children += [(c, in_loop, False, guards) for c in ast.iter_child_nodes(node)]
            children.reverse()
            stack.extend(children)

    def _call(
        self,
        node: ast.Call,
        info: FunctionInfo,
        cls: ClassInfo | None,
        defs: Mapping[str, str],
        in_loop: int,
        awaited: bool,
        guards: tuple[str, ...] = (),
    ) -> None:
        target = self.resolve(node.func, defs) or _made_then_shown(self, node.func, defs)
        if target is None:
            return
        callables = []
        for arg in (*node.args, *(k.value for k in node.keywords)):
            if isinstance(arg, (ast.Name, ast.Attribute)):
                name = self.resolve(arg, defs)
                if name:
                    callables.append(name)
        if not info.asks_restart and _RESTART.search(target.rpartition(".")[2]):
            info.asks_restart = node.lineno
        formats = bool(node.args) and _is_eager_format(node.args[0])
        info.calls.append(
            CallSite(
                line=node.lineno,
                end_line=node.end_lineno or node.lineno,
                col=node.col_offset,
                target=target,
                awaited=awaited,
                in_except=id(node) in self._in_except,
                leaves_loop=bool(in_loop) and id(node) in self._leaving,
                in_loop=bool(in_loop),
                callables=tuple(callables),
                loop_line=in_loop,
                discarded=id(node) in self._discarded,
                formats=formats,
                format_values=_formatted_values(node.args[0]) if formats else (),
                keywords=tuple(k.arg or "*" for k in node.keywords),
                constants=tuple(
                    f"{k.arg}={int(bool(k.value.value))}"
                    for k in node.keywords
                    if k.arg and isinstance(k.value, ast.Constant)
                ),
                nargs=-1 if any(isinstance(a, ast.Starred) for a in node.args) else len(node.args),
                guards=guards
                + self._instant(node, target, info)
                + (_short_retry(node, self._loop_nodes.get(in_loop)) if in_loop else ())
                + self._same_base_args(node, info)
                + _same_args_again(node, info),
                copies=self._copied(node, info, in_loop) if target in _COPY_CALLS else "",
            )
        )

    def _instant(self, node: ast.Call, target: str, info: FunctionInfo) -> tuple[str, ...]:
        """Guards of a call that returns at once although its kind blocks: "power-off" (the
        command turns the machine off), "rename" (`shutil.move` within one folder)."""
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name == "get" and _no_wait(node):
            # `q.get(False)`, `q.get(block=False)`: raises Empty at once (the guard only
            # matters where `get` is of a blocking kind: a queue's).
            return ("no-wait",)
        if name not in _INSTANT_NAMES:
            return ()  # most calls: nothing to look at
        if _powers_off(node):
            return ("power-off",)
        if target in _SMALL_COPIES and node.args:
            source = self._path_base(node.args[0], info.qualname, 0, want_file=True)
            return ("small-file",) if source.endswith(_SMALL_FILE_SUFFIXES) else ()
        if target != "shutil.move" or len(node.args) < 2:
            return ()
        source, dest = (_unwrap_str(a) for a in node.args[:2])
        src = ast.unparse(source)
        if isinstance(dest, ast.Name) and self._siblings.get((info.qualname, dest.id)) == src:
            return ("rename",)
        if isinstance(dest, ast.Call) and _sibling_of(dest) == src:
            return ("rename",)
        # A helper moving its own parameters: a rename when its callers pass two paths built
        # from one base (the caller's call carries "base-pair:<i>,<j>").
        if isinstance(source, ast.Name) and isinstance(dest, ast.Name):
            params = [p for p in info.params if p not in ("self", "cls")]
            if source.id in params and dest.id in params:
                return (f"moves-params:{params.index(source.id)},{params.index(dest.id)}",)
        # Both built from one base (`base / "app"` -> `base / "backup" / "app"`): one volume.
        base = self._path_base(source, info.qualname, 0)
        return ("rename",) if base and base == self._path_base(dest, info.qualname, 0) else ()

    def _same_base_args(self, node: ast.Call, info: FunctionInfo) -> tuple[str, ...]:
        """("base-pair:0,1",) for `migrate(old / "models", root / "models")` where `old` was
        built from `root`: two positional paths from one base (see "moves-params")."""
        args = node.args[:4]
        if len(args) < 2 or not any(
            isinstance(a, ast.BinOp) and isinstance(a.op, ast.Div) for a in args
        ):
            return ()
        bases = [self._path_base(a, info.qualname, 0) for a in args]
        return tuple(
            f"base-pair:{i},{j}"
            for i in range(len(bases))
            for j in range(i + 1, len(bases))
            if bases[i] and bases[i] == bases[j]
        )

    def _path_value(self, target: ast.expr, value: ast.expr, info: FunctionInfo) -> None:
        if isinstance(target, ast.Name):
            self._path_values.setdefault((info.qualname, target.id), (info.qualname, value))
        elif (
            isinstance(target, ast.Attribute)
            and isinstance(target.value, ast.Name)
            and target.value.id == "self"
        ):
            owner = info.qualname.rpartition(".")[0]
            self._path_values.setdefault((owner, "self." + target.attr), (info.qualname, value))

    def _path_base(self, value: ast.expr, scope: str, depth: int, want_file: bool = False) -> str:
        """The expression a path is built from: `root` for `root / "a" / "b"`,
        `root.joinpath(...)`, `os.path.join(root, ...)`, `Path(root)`, a local or `self.<attr>`
        first bound to one of those, or a helper handed only paths under `root`; "" if unknown.
        With `want_file`, the last part's name instead (`cfg / "settings.yaml"` -> that name)."""
        value = _unwrap_str(value)
        if depth > 6:
            return ""
        if want_file:
            if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
                last = value.right
                if isinstance(last, ast.Constant) and isinstance(last.value, str):
                    return last.value.lower()
                return ""
            if isinstance(value, ast.Name):
                bound = self._path_values.get((scope, value.id))
                return "" if bound is None else self._path_base(bound[1], bound[0], depth + 1, True)
            return ""
        if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div):
            return self._path_base(value.left, scope, depth + 1)
        if isinstance(value, ast.BoolOp):  # `self.dir or base / "app"`: every branch agrees
            bases = {self._path_base(v, scope, depth + 1) for v in value.values}
            return bases.pop() if len(bases) == 1 else ""
        if isinstance(value, ast.Call):
            func = value.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in _PATH_STEPS and isinstance(func, ast.Attribute):
                return self._path_base(func.value, scope, depth + 1)
            if name in ("join", "Path", "PurePath") and value.args:
                return self._path_base(value.args[0], scope, depth + 1)
            paths = [
                a
                for arg in value.args
                for a in (arg.elts if isinstance(arg, (ast.List, ast.Tuple)) else [arg])
                if isinstance(a, ast.BinOp) and isinstance(a.op, ast.Div)
            ]
            bases = {self._path_base(a, scope, depth + 1) for a in paths}
            return bases.pop() if len(bases) == 1 else ""
        if isinstance(value, ast.Name):
            bound = self._path_values.get((scope, value.id))
            found = "" if bound is None else self._path_base(bound[1], bound[0], depth + 1)
            return found or value.id
        if isinstance(value, ast.Attribute):
            if value.attr == "parent":
                return self._path_base(value.value, scope, depth + 1)
            dotted = _dotted(value)
            if dotted is None:
                return ""
            bound = self._path_values.get((scope.rpartition(".")[0], dotted))
            found = "" if bound is None else self._path_base(bound[1], bound[0], depth + 1)
            return found or dotted
        return ""

    def _copied(self, node: ast.Call, info: FunctionInfo, in_loop: int) -> str:
        """What a copy call copies: "<item>" for a loop's own element, else its source."""
        if not node.args:
            return ""
        copied = node.args[0]
        names = {n.id for n in ast.walk(copied) if isinstance(n, ast.Name)}
        line, seen = in_loop, set()
        while line and line not in seen:
            seen.add(line)
            loop = self._loop_nodes.get(line)
            if loop is not None and names & _bound_per_iteration(loop):
                return "<item>"
            line = info.loop_parents.get(line, 0)
        return _short_source(copied)

    def _with(self, node: ast.With | ast.AsyncWith, info: FunctionInfo) -> None:
        for item in node.items:
            helper = item.context_expr
            if isinstance(helper, ast.Call) and not helper.args and not helper.keywords:
                name = _dotted(helper.func)
                if name and name.startswith("self.") and name.count(".") == 1:
                    info.helper_withs.append(
                        LockUse(node.lineno, name, _first_await(node), node.end_lineno or 0)
                    )
        if isinstance(node, ast.AsyncWith):
            return
        for item in node.items:
            name = _dotted(item.context_expr)
            if name and name.startswith("self.") and name.count(".") == 1:
                info.lock_uses.append(
                    LockUse(
                        line=node.lineno,
                        lock=name,
                        await_line=_first_await(node),
                        end_line=node.end_lineno or node.lineno,
                    )
                )

    def _while(self, node: ast.While, info: FunctionInfo, defs: Mapping[str, str]) -> None:
        test = node.test
        running = (isinstance(test, ast.Constant) and test.value is True) or isinstance(
            test, (ast.Name, ast.Attribute, ast.UnaryOp)
        )
        if not running:
            return
        for sub in node.body:
            for inner in ast.walk(sub):
                if isinstance(inner, ast.Call):
                    name = self.resolve(inner.func, defs) or ""
                    waits = name in _SLEEPS or name.endswith(".wait_for")
                    if waits:
                        interval = ast.unparse(inner.args[0]) if inner.args else ""
                        info.loops.append(
                            PeriodicLoop(
                                line=node.lineno,
                                end_line=node.end_lineno or node.lineno,
                                sleep_line=inner.lineno,
                                interval=interval,
                            )
                        )
                        return

    def _assign(
        self,
        node: ast.Assign | ast.AnnAssign,
        cls: ClassInfo,
        defs: Mapping[str, str],
        info: FunctionInfo,
    ) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        for target in targets:
            if isinstance(target, ast.Subscript):
                self._container_event(
                    cls, target.value, node.lineno, "setitem", info, key=target.slice
                )
            name = _dotted(target)
            if name and name.startswith("self.") and name.count(".") == 1:
                ctor = self.resolve(value.func, defs) if isinstance(value, ast.Call) else None
                kind = _container_kind(value, ctor)
                attr = name[5:]
                use = cls.containers.get(attr)
                if kind is not None and info.name == "__init__":
                    bounded = isinstance(value, ast.Call) and any(
                        k.arg == "maxlen" for k in value.keywords
                    )
                    if use is None or use.kind == "?":
                        new = ContainerUse(kind, node.lineno, bounded, _created_empty(value))
                        if use is not None:
                            new.adds, new.removes, new.keys = use.adds, use.removes, use.keys
                        cls.containers[attr] = new
                elif info.name != "__init__" and (use is not None or kind is not None):
                    # Re-assigned outside __init__: reset or rebuilt, so not only-growing.
                    use = cls.containers.setdefault(attr, ContainerUse("?", 0))
                    use.removes.append((node.lineno, "reassign"))
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
            self._annotated_attr(node, targets, value, cls, defs)
            return
        ctor = self.resolve(value.func, defs)
        if not ctor:
            return
        for target in targets:
            name = _dotted(target)
            if name and name.startswith("self.") and name.count(".") == 1:
                attr = name[5:]
                if ctor in _LOCK_FACTORIES:
                    cls.lock_attrs[attr] = ctor
                else:
                    cls.attr_types.setdefault(attr, ctor)
                    cls.attr_lines.setdefault(attr, node.lineno)

    def _annotated_type(self, annotation: ast.AST | None, defs: Mapping[str, str]) -> str | None:
        """`SessionStore` for `SessionStore`, `Optional[SessionStore]`, `SessionStore | None`
        or the string form; None for anything else (builtins, generics, unions of two types)."""
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
            try:
                annotation = ast.parse(annotation.value, mode="eval").body
            except SyntaxError:
                return None
        if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
            sides = [annotation.left, annotation.right]
            named = [x for x in sides if not (isinstance(x, ast.Constant) and x.value is None)]
            annotation = named[0] if len(named) == 1 else None
        if isinstance(annotation, ast.Subscript) and _dotted(annotation.value) in (
            "Optional",
            "typing.Optional",
        ):
            annotation = annotation.slice
        if not isinstance(annotation, (ast.Name, ast.Attribute)):
            return None
        name = self.resolve(annotation, defs)
        if not name or name.startswith("builtins.") or name.split(".", 1)[0] == "typing":
            return None
        return name

    def _annotated_attr(
        self,
        node: ast.Assign | ast.AnnAssign,
        targets: list[ast.expr],
        value: ast.AST | None,
        cls: ClassInfo,
        defs: Mapping[str, str],
    ) -> None:
        """`self._store: Store = ...` or `self._store = store` (a parameter annotated `Store`)."""
        typed = None
        if isinstance(node, ast.AnnAssign):
            typed = self._annotated_type(node.annotation, defs)
        elif isinstance(value, ast.Name):
            typed = self._param_types.get(value.id)
        if not typed:
            return
        for target in targets:
            name = _dotted(target)
            if name and name.startswith("self.") and name.count(".") == 1:
                if name[5:] not in cls.attr_types:
                    cls.injected.add(name[5:])
                cls.attr_types.setdefault(name[5:], typed)
                cls.attr_lines.setdefault(name[5:], node.lineno)

    def _container_call(self, node: ast.Call, cls: ClassInfo, info: FunctionInfo) -> None:
        # `task.add_done_callback(self._tasks.discard)`: handing over a bound shrink method
        # removes entries too, just later.
        for arg in (*node.args, *(k.value for k in node.keywords)):
            if isinstance(arg, ast.Attribute) and arg.attr in _SHRINK_METHODS:
                self._container_event(cls, arg.value, node.lineno, arg.attr, info)
        func = node.func
        if isinstance(func, ast.Attribute) and (
            func.attr in _GROW_METHODS or func.attr in _SHRINK_METHODS
        ):
            key = node.args[0] if func.attr in ("add", "setdefault") and node.args else None
            self._container_event(cls, func.value, node.lineno, func.attr, info, key=key)

    def _lambda_shrinks(self, node: ast.Lambda, cls: ClassInfo, info: FunctionInfo) -> None:
        """`sig.connect(lambda: self._items.discard(item))`: a removal handed over as a
        callback still removes (only removals: a lambda may never run, so adds are not counted)."""
        for sub in ast.walk(node.body):
            func = sub.func if isinstance(sub, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr in _SHRINK_METHODS:
                self._container_event(cls, func.value, sub.lineno, func.attr, info)

    def _container_event(
        self,
        cls: ClassInfo,
        target: ast.AST,
        line: int,
        how: str,
        info: FunctionInfo,
        key: ast.AST | None = None,
    ) -> None:
        name = _dotted(target)
        if not name or not name.startswith("self.") or name.count(".") != 1:
            return
        # Created in a base class or further down: recorded now, kind filled in later.
        use = cls.containers.setdefault(name[5:], ContainerUse("?", 0))
        if how in _SHRINK_METHODS or how in ("del", "augassign"):
            use.removes.append((line, how))
        elif info.name != "__init__" and not any(a <= line <= b for a, b in self._dead_spans):
            # (an add after an unconditional `return` never runs: not counted)
            use.adds.append((line, how))
            if key is not None:
                use.keys[line] = ast.unparse(key)


# -- locks taken by decorators and context helpers ----------------------------------------------

_CONTEXT_MANAGERS = frozenset({"contextmanager", "asynccontextmanager"})
_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_AWAITS = (ast.Await, ast.AsyncFor, ast.AsyncWith)
_LOCK_NAME = re.compile(r"lock|mutex", re.I)


def _made_then_shown(summarizer: _Summarizer, func: ast.AST, defs: Mapping[str, str]) -> str | None:
    """`ConfirmDialog(self).exec()` -> "pkg.ConfirmDialog().exec": a dialog or menu shown as
    soon as it is built (only `exec`/`exec_`, the nested loop CIA004 looks for)."""
    if (
        isinstance(func, ast.Attribute)
        and func.attr in ("exec", "exec_")
        and isinstance(func.value, ast.Call)
    ):
        ctor = summarizer.resolve(func.value.func, defs)
        if ctor:
            return f"{ctor}().{func.attr}"
    return None


def _first_await(node: ast.AST) -> int:
    """Line of the first await (or async for/with) inside a `with` block or function, else 0."""
    for sub in getattr(node, "body", []):
        for inner in ast.walk(sub):
            if isinstance(inner, _AWAITS):
                return inner.lineno
    return 0


def _self_attr(expr: ast.AST, self_name: str) -> str | None:
    """`self.lock` (spelled with the method's own first parameter) -> "self.lock"."""
    if (
        isinstance(expr, ast.Attribute)
        and isinstance(expr.value, ast.Name)
        and expr.value.id == self_name
    ):
        return f"self.{expr.attr}"
    return None


def _wrapper_lock(expr: ast.AST, wrapper: ast.FunctionDef | ast.AsyncFunctionDef) -> str | None:
    """The lock a wrapper takes: `self.lock` (its first parameter's attribute) or a
    module-level lock it names (`_state_lock`)."""
    params = wrapper.args.posonlyargs + wrapper.args.args
    if params and (found := _self_attr(expr, params[0].arg)):
        return found
    local = {a.arg for a in (*params, *wrapper.args.kwonlyargs)}
    if isinstance(expr, ast.Name) and _LOCK_NAME.search(expr.id) and expr.id not in local:
        return expr.id
    return None


def _calls(body: Iterable[ast.AST], name: str) -> bool:
    return any(
        isinstance(c, ast.Call) and isinstance(c.func, ast.Name) and c.func.id == name
        for stmt in body
        for c in ast.walk(stmt)
    )


def _lock_wrapper(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, bool] | None:
    """("self.lock", wrapper is async) for `def with_lock(func)` whose nested wrapper calls
    `func(self, ...)` inside `with self.lock:` (or after `self.lock.acquire()`): every
    decorated function holds the lock for its whole call. A module-level lock is named bare."""
    params = node.args.posonlyargs + node.args.args
    if len(params) != 1 or not any(isinstance(s, _FUNCTION_DEFS) for s in node.body):
        return None
    func = params[0].arg
    for wrapper in node.body:
        if not isinstance(wrapper, _FUNCTION_DEFS):
            continue
        is_async = isinstance(wrapper, ast.AsyncFunctionDef)
        for sub in ast.walk(wrapper):
            if isinstance(sub, (ast.With, ast.AsyncWith)):
                locks = [
                    n for item in sub.items if (n := _wrapper_lock(item.context_expr, wrapper))
                ]
                if locks and _calls(sub.body, func):
                    return locks[0], is_async
            elif (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Attribute)
                and sub.func.attr == "acquire"
                and (lock := _wrapper_lock(sub.func.value, wrapper))
                and _calls(wrapper.body, func)
            ):
                return lock, is_async
    return None


def _yields_under_lock(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
    """`self._lock` for a context helper that yields inside `with self._lock:`, or between
    `self._lock.acquire()` and the yield; "" otherwise."""
    params = node.args.posonlyargs + node.args.args
    if not params:
        return ""
    me = params[0].arg
    acquired = ""
    for sub in ast.walk(node):
        if isinstance(sub, (ast.With, ast.AsyncWith)):
            locks = [n for item in sub.items if (n := _self_attr(item.context_expr, me))]
            if locks and any(
                isinstance(y, (ast.Yield, ast.YieldFrom)) for s in sub.body for y in ast.walk(s)
            ):
                return locks[0]
        elif (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "acquire"
        ):
            acquired = acquired or (_self_attr(sub.func.value, me) or "")
    if acquired and any(isinstance(y, (ast.Yield, ast.YieldFrom)) for y in ast.walk(node)):
        return acquired
    return ""


# -- guards: the conditions a call runs under ---------------------------------------------------

_OS_NAMES = {
    "darwin": "macOS",
    "macos": "macOS",
    "mac": "macOS",
    "osx": "macOS",
    "win": "Windows",
    "win32": "Windows",
    "windows": "Windows",
    "nt": "Windows",
    "cygwin": "Windows",
    "linux": "Linux",
    "linux2": "Linux",
}
_PLATFORM_FLAG = re.compile(
    r"(?i)^_?(?:is|on|running_on)_?(win|windows|mac|macos|darwin|osx|linux)$"
)


def _os_of(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return _OS_NAMES.get(value.lower())


def _platform_source(node: ast.AST, imports: Mapping[str, str]) -> bool:
    """`sys.platform`, `os.name` or `platform.system()` (however imported), also case-folded
    (`sys.platform.lower()`, `platform.system().casefold()`)."""
    if (
        isinstance(node, ast.Call)
        and not node.args
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("lower", "casefold", "upper")
    ):
        return _platform_source(node.func.value, imports)
    if isinstance(node, ast.Call) and not node.args:
        node = node.func
        name = _dotted(node)
        if name is None:
            return False
        head, _, rest = name.partition(".")
        full = f"{imports.get(head, head)}.{rest}" if rest else imports.get(head, head)
        return full == "platform.system"
    name = _dotted(node)
    if name is None:
        return False
    head, _, rest = name.partition(".")
    full = f"{imports.get(head, head)}.{rest}" if rest else imports.get(head, head)
    return full in ("sys.platform", "os.name")


def _platform_test(test: ast.AST, imports: Mapping[str, str]) -> tuple[str, bool] | None:
    """(OS, True) when `test` holds only on that OS, (OS, False) when only off it."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = _platform_test(test.operand, imports)
        return (inner[0], not inner[1]) if inner else None
    name = _dotted(test)
    if name is not None:
        match = _PLATFORM_FLAG.match(name.rsplit(".", 1)[-1])
        return (_OS_NAMES[match.group(1).lower()], True) if match else None
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Attribute):
        # sys.platform.startswith("win")
        if (
            test.func.attr == "startswith"
            and _platform_source(test.func.value, imports)
            and test.args
            and isinstance(test.args[0], ast.Constant)
        ):
            os_name = _os_of(test.args[0].value)
            return (os_name, True) if os_name else None
        return None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left, right = test.left, test.comparators[0]
        if not _platform_source(left, imports):
            left, right = right, left
            if not _platform_source(left, imports):
                return None
        op = test.ops[0]
        values: list[object] = []
        if isinstance(right, ast.Constant):
            values = [right.value]
        elif isinstance(right, (ast.Tuple, ast.List, ast.Set)):
            values = [e.value for e in right.elts if isinstance(e, ast.Constant)]
        oses = {_os_of(v) for v in values}
        if len(oses) != 1 or None in oses:
            return None
        os_name = oses.pop()
        assert os_name is not None
        if isinstance(op, (ast.Eq, ast.In, ast.Is)):
            return os_name, True
        if isinstance(op, (ast.NotEq, ast.NotIn, ast.IsNot)):
            return os_name, False
    return None


def _assigned_names(stmts: list[ast.stmt]) -> set[str]:
    """Dotted names (and `name[...]` containers) assigned anywhere in `stmts`."""
    out: set[str] = set()
    for stmt in stmts:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Subscript):
                        target = target.value
                    name = _dotted(target)
                    if name:
                        out.add(name)
    return out


_SETUP_DONE = re.compile(r"^_*(?:initiali[sz]ed|inited|init_done|setup_done|set_up)$")


def _is_hasattr(node: ast.AST) -> TypeGuard[ast.Call]:
    """`hasattr(owner, "name")` with a literal attribute name."""
    return (
        isinstance(node, ast.Call)
        and _dotted(node.func) == "hasattr"
        and len(node.args) == 2
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    )


def _hasattr_subject(call: ast.Call) -> str | None:
    """`self._x` for `hasattr(self, "_x")` (see `_is_hasattr`), None for an unnamed owner."""
    owner = _dotted(call.args[0])
    return f"{owner}.{call.args[1].value}" if owner else None


def _creation_subject(test: ast.AST) -> tuple[str, bool] | None:
    """(`self._x`, True) for `self._x is None` / `not self._x` / `key not in self._x` /
    `not hasattr(self, "_x")`: the test holds until `self._x` is created. False: negated."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        operand = test.operand
        if _is_hasattr(operand):
            name = _hasattr_subject(operand)
            return (name, True) if name else None
        name = _dotted(operand)
        if name is not None:
            return name, True
        inner = _creation_subject(operand)
        return (inner[0], not inner[1]) if inner else None
    # `if hasattr(self, "_config"): return` / `if self._initialized: return` at the top of a
    # shared object's `__init__`: holds from the first set-up on (a flag named for set-up
    # done, never a busy flag such as `self._running`, which is cleared again).
    if _is_hasattr(test):
        name = _hasattr_subject(test)
        return (name, False) if name else None
    if isinstance(test, ast.Attribute) and _SETUP_DONE.match(test.attr):
        name = _dotted(test)
        return (name, False) if name else None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(right, ast.Constant) and right.value is None:
            name = _dotted(test.left)
            if name is not None and isinstance(op, (ast.Is, ast.Eq)):
                return name, True
            if name is not None and isinstance(op, (ast.IsNot, ast.NotEq)):
                return name, False
        if isinstance(op, (ast.NotIn, ast.In)):
            name = _dotted(right)
            if name is not None:
                return name, isinstance(op, ast.NotIn)
    return None


def _branch_guards(
    node: ast.If, imports: Mapping[str, str], shared: frozenset[str] = frozenset()
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Guards added to the body and to the else branch of an `if`."""
    test = node.test
    platform = _platform_test(test, imports)
    if platform is not None:
        guard = (f"platform:{platform[0]}",)
        return (guard, ()) if platform[1] else ((), guard)
    if _tests_alive(test):
        return ("if-alive",), ()  # `if t.is_alive(): t.join(timeout=1)`
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    call = test.operand if negated else test  # type: ignore[attr-defined]
    if (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "is_running"
    ):
        return ((), ("loop-idle",)) if not negated else (("loop-idle",), ())
    missing = _missing_file(call) if negated else None
    if missing is not None and missing in _opened_paths(node.body):
        return ("file-once",), ()  # `if not os.path.exists(p): open(p, "w")...`
    if _installed_test(call):
        # `if not runtime.is_installed(): install()`, or the rest of the block after `if
        # runtime.is_installed(): return`: the install runs once per thing installed.
        return (("install-once",), ()) if negated else ((), ("install-once",))
    creation = _creation_subject(test)
    if creation is not None:
        subject, holds_until_created = creation
        if "." not in subject and subject not in shared:
            return (), ()  # a local: created anew on every call
        branch = node.body if holds_until_created else node.orelse
        # `if key not in self._x:` creates once per key, not once: "per-key" says so.
        inner = test.operand if negated else test  # type: ignore[attr-defined]
        keyed = isinstance(inner, ast.Compare) and isinstance(inner.ops[0], (ast.In, ast.NotIn))
        once = ("once", "per-key") if keyed else ("once",)
        if subject in _assigned_names(branch):
            return (once, ()) if holds_until_created else ((), once)
        # `if self._x is not None: return self._x` - creation follows the early return.
        if not holds_until_created and node.body and not node.orelse and _exits(node.body):
            return (), once
    # `if depth < MAX_DEPTH:` / `elif n < 2:`: code under an ordering test of a plain name
    # (a depth or budget counter) is bounded by it; "bound:<name>" on both branches.
    if (
        isinstance(test, ast.Compare)
        and len(test.ops) == 1
        and isinstance(test.ops[0], (ast.Lt, ast.LtE, ast.Gt, ast.GtE))
        and isinstance(test.left, ast.Name)
    ):
        guard = (f"bound:{test.left.id}",)
        return guard, guard
    if _picks_key(test):
        return ("key",), ()
    return (), ()


def _tests_alive(test: ast.AST) -> bool:
    """`if t.is_alive():` or `if hasattr(self, "t") and self.t.is_alive():` (not negated)."""
    parts = test.values if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And) else [test]
    return any(
        isinstance(p, ast.Call) and isinstance(p.func, ast.Attribute) and p.func.attr == "is_alive"
        for p in parts
    )


def _picks_key(test: ast.AST) -> bool:
    """`event.key() == Qt.Key_Return`, `key in (Qt.Key_Enter, ...)`, `event.matches(
    QKeySequence.Copy)`: the test picks one key or shortcut of a key handler."""
    for node in ast.walk(test):
        if isinstance(node, ast.Attribute) and node.attr.startswith("Key_"):
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "matches"
            and "KeySequence" in ((_dotted(node.args[0]) or "") if node.args else "")
        ):
            return True
    return False


def _flag_guards(
    test: ast.AST, defaults: Mapping[str, bool]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Guards of the body and of the else side of `if p:` / `if not p:` on a parameter with a
    constant default: "unless-arg:p" on the side the default does not take, and on each side
    "when-arg:p=<truth value p has there>"."""
    off = _default_branch(test, defaults)
    if off is None:
        return (), ()
    name, body_off = off
    truth = int(not (isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)))
    body: tuple[str, ...] = (f"when-arg:{name}={truth}",)
    other: tuple[str, ...] = (f"when-arg:{name}={1 - truth}",)
    if body_off:
        body = (f"unless-arg:{name}", *body)
    else:
        other = (f"unless-arg:{name}", *other)
    return body, other


def _default_branch(test: ast.AST, defaults: Mapping[str, bool]) -> tuple[str, bool] | None:
    """(`p`, True) when a parameter's default skips the body of `if p:` / `if not p:`,
    (`p`, False) when it skips the else branch; None for any other test."""
    negated = isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not)
    name = test.operand if negated else test  # type: ignore[attr-defined]
    if not isinstance(name, ast.Name) or name.id not in defaults:
        return None
    body_taken = defaults[name.id] != negated  # the body runs under the default
    return name.id, not body_taken


_INSTALLED = re.compile(r"^_?(?:is|has|check)_?\w*?_?(?:installed|downloaded)$", re.I)


def _installed_test(test: ast.AST) -> bool:
    """`runtime.is_python_installed()`, `self._is_installed(name)`, `has_downloaded()`."""
    if not isinstance(test, ast.Call):
        return False
    func = test.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    return bool(_INSTALLED.match(name))


def _missing_file(test: ast.AST) -> str | None:
    """`p` (as source) for `os.path.exists(p)` / `os.path.isfile(p)` / `p.exists()`."""
    if not isinstance(test, ast.Call) or not isinstance(test.func, ast.Attribute):
        return None
    if test.func.attr not in ("exists", "isfile", "is_file"):
        return None
    if _dotted(test.func) in ("os.path.exists", "os.path.isfile") and len(test.args) == 1:
        return ast.unparse(test.args[0])
    return ast.unparse(test.func.value) if not test.args else None


def _opened_paths(body: list[ast.stmt]) -> set[str]:
    """Sources of the paths a block creates: `open(p, ...)`, `p.write_text(...)`."""
    paths: set[str] = set()
    for stmt in body:
        for node in ast.walk(stmt):
            if not isinstance(node, ast.Call):
                continue
            if isinstance(node.func, ast.Name) and node.func.id == "open" and node.args:
                paths.add(ast.unparse(node.args[0]))
            elif isinstance(node.func, ast.Attribute) and node.func.attr in (
                "write_text",
                "write_bytes",
                "open",
            ):
                paths.add(ast.unparse(node.func.value))
    return paths


def returns_at_once(call: CallSite) -> bool:
    """A call of a blocking kind that returns at once here: a power-off command (queued, then
    the machine goes down), a `shutil.move` within one folder or one base path (a rename), a
    copy of one named settings file (`.yaml`, `.json`, `.ini`: a few ms), or a queue read
    that does not wait (`q.get(False)`)."""
    return any(g in call.guards for g in ("power-off", "rename", "small-file", "no-wait"))


def _no_wait(node: ast.Call) -> bool:
    """`get(False)` or `get(block=False)`: a queue read that never waits."""
    flags = [*node.args[:1], *(k.value for k in node.keywords if k.arg == "block")]
    return any(isinstance(f, ast.Constant) and f.value in (False, 0) for f in flags)


def in_retry_loop(fn: FunctionInfo, call: CallSite) -> bool:
    """The call sits in a `while` loop (`while True: try: ... except: time.sleep(5)`): on the
    error path it repeats for as long as the failure lasts, not once."""
    return call.in_loop and call.loop_line not in fn.loop_iters


def _on_error(call: CallSite) -> bool:
    """The call runs only after something failed: in an `except` block or a failure branch."""
    return call.in_except or "on-error" in call.guards


def _platform_of(call: CallSite) -> str:
    """The OS a call runs only on ("" when it runs everywhere)."""
    for guard in call.guards:
        if guard.startswith("platform:"):
            return guard.partition(":")[2]
    return ""


def _follows(call: CallSite, skip: frozenset[str]) -> bool:
    """A chain goes on through the call: it runs now (not awaited, not once-only) and not in
    a branch that the caller's arguments skip (`skip`: see `unpassed`): one a parameter left
    at its default skips, or one a constant the caller passes skips (`p=0` in `skip` skips
    the branches that run only while p is true)."""
    if call.awaited or "once" in call.guards:
        return False
    if not skip:
        return True
    for g in call.guards:
        kind, _, what = g.partition(":")
        if kind == "unless-arg" and what in skip:
            return False
        if kind == "when-arg" and f"{what[:-1]}{1 - int(what[-1])}" in skip:
            return False
    return True


def unpassed(call: CallSite, callee: FunctionInfo) -> frozenset[str]:
    """Parameters of `callee` that guard a branch (`if not show_gui:`) and that `call` leaves
    at their default: neither by keyword nor by position (`*args`/`**kw` pass anything);
    and, as "p=0"/"p=1", the flags it passes as constants (`validate(x, find_all=True)`)."""
    if call.nargs < 0 or "*" in call.keywords:
        return frozenset()
    kinds = ("unless-arg:", "when-arg:")
    guards = {g for c in callee.calls for g in c.guards if g.startswith(kinds)}
    if not guards:
        return frozenset()
    flags = {g.partition(":")[2] for g in guards if g.startswith("unless-arg:")}
    params = callee.params
    shift = 1 if params and params[0] in ("self", "cls") else 0
    left_out = {
        p
        for p in flags
        if p not in call.keywords and (p not in params or params.index(p) - shift >= call.nargs)
    }
    tested = {g.partition(":")[2][:-2] for g in guards if g.startswith("when-arg:")}
    return frozenset(left_out | {c for c in call.constants if c[:-2] in tested})


def _rank(chain: BlockingChain) -> tuple[bool, bool]:
    """Fallback chains, best first: on a normal path before an error path, then any OS."""
    return chain.error_path, bool(chain.platform)


def _joined(guards: tuple[str, ...], extra: tuple[str, ...]) -> tuple[str, ...]:
    return guards + tuple(g for g in extra if g not in guards)


# Commands that turn the machine off: the call returns once the request is queued, and the
# machine then goes down (`os.system("systemctl poweroff")`, `subprocess.run(["shutdown",
# "/s", "/t", "0"])`).
_POWER_OFF_WORDS = frozenset({"shutdown", "shutdown.exe", "poweroff", "reboot", "halt"})
_COMMAND_RUNNERS = frozenset(
    {"system", "run", "call", "check_call", "check_output", "Popen", "popen", "startDetached"}
)


def _powers_off(node: ast.Call) -> bool:
    """`os.system('systemctl poweroff')`, `subprocess.run(["sudo", "shutdown", "-h", "now"])`:
    a command (first argument, a constant string or list of them) that powers the machine off."""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if not node.args or name not in _COMMAND_RUNNERS:
        return False
    first = node.args[0]
    words: list[str] = []
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        words = first.value.split()[:3]
    elif isinstance(first, (ast.List, ast.Tuple)):
        words = [e.value for e in first.elts[:3] if isinstance(e, ast.Constant)]
    return any(
        isinstance(w, str) and w.rsplit("/", 1)[-1].lower() in _POWER_OFF_WORDS for w in words
    )


# Copies of one small settings file (`shutil.copy2(d / "settings.yaml", dst)`): a few ms.
_SMALL_COPIES = frozenset({"shutil.copy", "shutil.copy2", "shutil.copyfile"})
_SMALL_FILE_SUFFIXES = (".yaml", ".yml", ".json", ".ini", ".cfg", ".conf", ".toml", ".desktop")
_INSTANT_NAMES = _COMMAND_RUNNERS | {"move", "copy", "copy2", "copyfile"}
# Steps that keep a path on the volume of the path they start from.
_PATH_STEPS = frozenset(
    {"joinpath", "with_name", "with_suffix", "with_stem", "resolve", "absolute", "expanduser"}
)
_PATH_VALUES = (ast.BinOp, ast.Call, ast.Attribute, ast.BoolOp)


# `State.restart_required`, `needs_restart`, `request_restart()`: the app must restart next.
_RESTART = re.compile(
    r"restart_?(?:required|needed|pending)|needs?_?restart|(?:request|prompt|ask|offer)_?restart",
    re.I,
)


def _over_size_limit(test: ast.expr) -> bool:
    """`p.stat().st_size > limit`, `os.path.getsize(f) >= cap`: a file's size over a limit."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return any(_over_size_limit(v) for v in test.values)
    if not (isinstance(test, ast.Compare) and isinstance(test.ops[0], (ast.Gt, ast.GtE))):
        return False
    left = test.left
    if isinstance(left, ast.Attribute):
        return left.attr == "st_size"
    return (
        isinstance(left, ast.Call)
        and isinstance(left.func, (ast.Attribute, ast.Name))
        and getattr(left.func, "attr", getattr(left.func, "id", "")) == "getsize"
    )


def _short_retry(node: ast.Call, loop: ast.AST | None) -> tuple[str, ...]:
    """("short-retry",) for `time.sleep(0.1)` in `for _ in range(3):`: a constant pause of at
    most half a second in a loop of at most five passes, one short hitch in all."""
    if not isinstance(loop, ast.For) or not isinstance(node.func, ast.Attribute):
        return ()
    if node.func.attr != "sleep" or len(node.args) != 1:
        return ()
    pause, passes = node.args[0], loop.iter
    if not (
        isinstance(pause, ast.Constant)
        and isinstance(pause.value, (int, float))
        and pause.value <= 0.5
        and isinstance(passes, ast.Call)
        and getattr(passes.func, "id", "") == "range"
        and len(passes.args) == 1
        and isinstance(passes.args[0], ast.Constant)
        and isinstance(passes.args[0].value, int)
        and passes.args[0].value <= 5
    ):
        return ()
    return ("short-retry",)


def _unwrap_str(node: ast.expr) -> ast.expr:
    """`x` for `str(x)`, else the node itself."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "str"
        and len(node.args) == 1
    ):
        return node.args[0]
    return node


def _sibling_of(value: ast.expr) -> str:
    """Source of the path `value` sits beside (same folder), or "": `p.with_name(n)`,
    `p.with_suffix(s)`, `p.parent / n`, `Path(os.path.dirname(p)).joinpath(n)`,
    `os.path.join(os.path.dirname(p), n)`."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        if value.func.attr in ("with_name", "with_suffix", "with_stem"):
            return ast.unparse(_unwrap_str(value.func.value))
        if value.func.attr not in ("joinpath", "join"):
            return ""
    elif not (isinstance(value, ast.BinOp) and isinstance(value.op, ast.Div)):
        return ""
    for sub in ast.walk(value):
        if (
            isinstance(sub, ast.Call)
            and isinstance(sub.func, ast.Attribute)
            and sub.func.attr == "dirname"
            and len(sub.args) == 1
        ):
            return ast.unparse(_unwrap_str(sub.args[0]))
        if isinstance(sub, ast.Attribute) and sub.attr == "parent":
            return ast.unparse(sub.value)
    return ""


def _exits(body: list[ast.stmt]) -> bool:
    return isinstance(body[-1], (ast.Return, ast.Raise))


# What a branch calls to report that something failed: `log.error(...)`,
# `logger.exception(...)`, `QMessageBox.critical(...)`, `notifier.show_error(...)`.
_FAILURE_REPORTS = frozenset(
    {
        "error",
        "exception",
        "critical",
        "fatal",
        "warning",
        "warn",
        "show_error",
        "showerror",
        "show_warning",
        "showwarning",
    }
)


def _handles_failure(body: list[ast.stmt]) -> bool:
    """The branch handles a failure: one of its own statements reports it at error or warning
    level (`if not ok: log.error(...); shutil.rmtree(partial); return False`), or it ends by
    raising. Only the branch's own statements count, not nested blocks."""
    if not body:
        return False
    if isinstance(body[-1], ast.Raise):
        return True
    for stmt in body:
        value = stmt.value if isinstance(stmt, (ast.Expr, ast.Assign)) else None
        if isinstance(value, ast.Await):
            value = value.value
        if (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr in _FAILURE_REPORTS
        ):
            return True
    return False


_LOOPS_AND_SCOPES = (
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
)
_INNER_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _calls_before_exit(body: list[ast.stmt], nested_loop: bool) -> set[int]:
    """Ids of the calls in a loop's body that an unconditional exit follows in their block
    (`try: save(); break`): each runs at most once per pass of the loop. A `break` of a loop
    inside another loop only leaves the inner one: there only `return`/`raise` count."""
    exits = (ast.Return, ast.Raise) if nested_loop else (ast.Break, ast.Return, ast.Raise)
    found: set[int] = set()
    blocks = [body]
    while blocks:
        block = blocks.pop()
        end = next((i for i, stmt in enumerate(block) if isinstance(stmt, exits)), None)
        for i, stmt in enumerate(block):
            if isinstance(stmt, _LOOPS_AND_SCOPES):
                continue  # their own loops and scopes
            if end is not None and i <= end and not _continues(stmt):
                found.update(_own_calls(stmt))
            elif isinstance(stmt, ast.If):
                blocks += [stmt.body, stmt.orelse]
            elif isinstance(stmt, (ast.With, ast.AsyncWith)):
                blocks.append(stmt.body)
            elif isinstance(stmt, ast.Try):
                blocks += [stmt.body, stmt.orelse, *(h.body for h in stmt.handlers)]
    return found


def _continues(stmt: ast.stmt) -> bool:
    """A `continue` of the enclosing loop in the statement: its calls may run on every pass
    without reaching the exit that follows (`if skip: log(); continue`)."""
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Continue):
            return True
        if node is not stmt and isinstance(node, (*_LOOPS_AND_SCOPES, *_INNER_SCOPES)):
            continue
        todo.extend(ast.iter_child_nodes(node))
    return False


def _own_calls(stmt: ast.stmt) -> Iterator[int]:
    """Ids of the calls of a statement, without entering nested loops and scopes."""
    todo: list[ast.AST] = [stmt]
    while todo:
        node = todo.pop()
        if node is not stmt and isinstance(node, (*_LOOPS_AND_SCOPES, *_INNER_SCOPES)):
            continue
        if isinstance(node, ast.Call):
            yield id(node)
        todo.extend(ast.iter_child_nodes(node))


# Node types `ProjectModel._scan` looks at; every other node only leads to its children.
_SCAN_SPECIAL: frozenset[type] = frozenset(
    {
        ast.ExceptHandler,
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.ClassDef,
        ast.Lambda,
        ast.Expr,
        ast.Call,
        ast.Delete,
        ast.AugAssign,
        ast.With,
        ast.AsyncWith,
        ast.While,
        ast.Assign,
        ast.AnnAssign,
        ast.If,
        ast.For,
        ast.AsyncFor,
        ast.ListComp,
        ast.SetComp,
        ast.DictComp,
        ast.GeneratorExp,
        ast.Await,
    }
)
# Childless nodes (expression contexts, operators) `_scan` never needs to visit.
_SCAN_LEAVES: frozenset[type] = frozenset(
    t
    for t in (
        *ast.expr_context.__subclasses__(),
        *ast.operator.__subclasses__(),
        *ast.unaryop.__subclasses__(),
        *ast.cmpop.__subclasses__(),
        *ast.boolop.__subclasses__(),
    )
)
# Fields that never hold a node worth visiting (names, flags, expression contexts).
_NOT_CHILD_FIELDS = frozenset({"ctx", "id", "attr", "arg", "name", "module", "level", "kind"})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _scan_children(node: ast.AST) -> list[ast.AST]:
    """`ast.iter_child_nodes(node)` minus `_SCAN_LEAVES`, as a list.

    Read from per-type field names: the generator and `iter_fields` behind the standard
    call were a fifth of building the summaries, and `_scan` asks this of every node.
    """
    kind = type(node)
    names = _CHILD_FIELDS.get(kind)
    if names is None:
        names = _CHILD_FIELDS[kind] = tuple(f for f in kind._fields if f not in _NOT_CHILD_FIELDS)
    out: list[ast.AST] = []
    for name in names:
        value = getattr(node, name, None)
        if type(value) is list:
            out += [v for v in value if isinstance(v, ast.AST) and type(v) not in _SCAN_LEAVES]
        elif isinstance(value, ast.AST) and type(value) not in _SCAN_LEAVES:
            out.append(value)
    return out


# A state an object reaches once in normal operation and then keeps: synced, loaded, ready.
_PHASE_DONE = re.compile(
    r"^_*(?:is_|has_)?(?:fully_)?(?:synced|sync_done|done|finished|completed?|ready|loaded"
    r"|initiali[sz]ed|settled)$",
    re.I,
)


def _phase_reached(test: ast.AST) -> str | None:
    """`self._status` for `self._status is Status.synced` / `== State.DONE`, `self._loaded`
    for `self._loaded` / `self.is_ready()`: a test that holds once the object has reached a
    final phase of its work. Code after `if <test>: return` runs only until then."""
    if isinstance(test, ast.Call) and not test.args:
        test = test.func
    name = _dotted(test)
    if name is not None:
        last = name.rsplit(".", 1)[-1]
        return name if name.startswith("self.") and _PHASE_DONE.match(last) else None
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        if not isinstance(test.ops[0], (ast.Is, ast.Eq)):
            return None
        left, right = _dotted(test.left), _dotted(test.comparators[0])
        if left and right and left.startswith("self.") and "." in right:
            return left if _PHASE_DONE.match(right.rsplit(".", 1)[-1]) else None
    return None


def _sequence_guards(
    stmts: list[ast.stmt],
    guards: tuple[str, ...],
    imports: Mapping[str, str],
    shared: frozenset[str] = frozenset(),
    flags: Mapping[str, bool] | None = None,
) -> list[tuple[ast.stmt, tuple[str, ...]]]:
    """Each statement with the guards it runs under: after `if <test>: return`, the rest of
    the block runs only where the test failed (`if sys.platform != "win32": return`, `if
    find_all: return ...`)."""
    out: list[tuple[ast.stmt, tuple[str, ...]]] = []
    current = guards
    for stmt in stmts:
        out.append((stmt, current))
        if isinstance(stmt, ast.If) and not stmt.orelse and stmt.body and _exits(stmt.body):
            else_guards = _branch_guards(stmt, imports, shared)[1]
            if flags:
                else_guards = (*else_guards, *_flag_guards(stmt.test, flags)[1])
            phase = _phase_reached(stmt.test)
            if phase:
                else_guards = (*else_guards, f"until:{phase}")
            if else_guards:
                current = _joined(current, else_guards)
    return out


_GROW_METHODS = frozenset(
    {"append", "add", "setdefault", "update", "insert", "extend", "appendleft"}
)
_SHRINK_METHODS = frozenset(
    {"pop", "popitem", "remove", "discard", "clear", "popleft", "difference_update"}
)
_CONTAINER_CTORS = {
    "builtins.dict": "dict",
    "builtins.list": "list",
    "builtins.set": "set",
    "collections.defaultdict": "dict",
    "collections.OrderedDict": "dict",
    "collections.Counter": "dict",
    "collections.deque": "deque",
    "weakref.WeakValueDictionary": "weak",
    "weakref.WeakKeyDictionary": "weak",
    "weakref.WeakSet": "weak",
}


def _created_empty(value: ast.AST | None) -> bool:
    if isinstance(value, (ast.List, ast.Set)):
        return not value.elts
    if isinstance(value, ast.Dict):
        return not value.keys
    # `deque(maxlen=n)` starts empty; `dict(a=1)` or `Counter(words)` does not.
    return (
        isinstance(value, ast.Call)
        and not value.args
        and all(k.arg == "maxlen" for k in value.keywords)
    )


def _container_kind(value: ast.AST | None, ctor: str | None) -> str | None:
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(value, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(value, (ast.Set, ast.SetComp)):
        return "set"
    if ctor is not None:
        return _CONTAINER_CTORS.get(ctor)
    return None


# Copy and serialization calls whose argument the summary records (`CallSite.copies`).
_COPY_CALLS = frozenset({"copy.deepcopy", "copy.copy", "pickle.dumps", "pickle.loads"})


def _bound_per_iteration(loop: ast.AST) -> set[str]:
    """Names a loop binds anew on each iteration: its targets and what its body assigns."""
    if isinstance(loop, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        targets: list[ast.AST] = [g.target for g in loop.generators]
    else:
        targets = [loop.target] if isinstance(loop, (ast.For, ast.AsyncFor)) else []
        for stmt in getattr(loop, "body", []):
            for sub in ast.walk(stmt):
                if isinstance(sub, ast.Assign):
                    targets += sub.targets
                elif isinstance(
                    sub, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor, ast.NamedExpr)
                ):
                    targets.append(sub.target)
                elif isinstance(sub, ast.withitem) and sub.optional_vars is not None:
                    targets.append(sub.optional_vars)
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


# Decorators that catch and log (or deliberately drop) whatever the function raises.
_EXCEPTION_DECORATORS = re.compile(
    r"((log|ignore|catch|handle|suppress|swallow|trap)_?(all_?)?(exceptions?|errors?))|"
    r"(exceptions?|errors?)_?(logged|handled|caught)",
    re.I,
)


def _ends_block(stmts: list[ast.stmt]) -> bool:
    """The statements always leave the block: a `return`, `raise`, `break` or `continue`, an
    `if` whose both branches do, or a `with` whose body does."""
    for stmt in stmts:
        if isinstance(stmt, (ast.Return, ast.Raise, ast.Break, ast.Continue)):
            return True
        both = isinstance(stmt, ast.If) and stmt.orelse and _ends_block(stmt.body)
        if both and _ends_block(stmt.orelse):
            return True
        if isinstance(stmt, (ast.With, ast.AsyncWith)) and _ends_block(stmt.body):
            return True
    return False


def _unreachable_spans(body: list[ast.stmt]) -> list[tuple[int, int]]:
    """Lines of statements that follow, in the same block, one that always leaves it (not
    entering nested functions: they are summarized on their own)."""
    spans: list[tuple[int, int]] = []
    todo = [body]
    while todo:
        block = todo.pop()
        for i, stmt in enumerate(block):
            if _ends_block([stmt]):
                rest = block[i + 1 :]
                if rest:
                    spans.append((rest[0].lineno, rest[-1].end_lineno or rest[-1].lineno))
                break
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for name in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, name, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                    todo.append(inner)
            todo.extend(handler.body for handler in getattr(stmt, "handlers", ()))
            todo.extend(case.body for case in getattr(stmt, "cases", ()))
        # the statements before the one that leaves may hold blocks of their own
        for stmt in block:
            if _ends_block([stmt]):
                for name in ("body", "orelse"):
                    inner = getattr(stmt, name, None)
                    if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
                        todo.append(inner)
                break
    return spans


def _same_args_again(node: ast.Call, info: FunctionInfo) -> tuple[str, ...]:
    """("same-args",) for `return try_shuffle(rng, items)` inside `def try_shuffle(rng,
    items)`: the function calls itself (by name, or on self/cls) with its own parameters
    passed on unchanged, so the call retries the same work rather than stepping along data."""
    func = node.func
    if isinstance(func, ast.Attribute):
        if not (isinstance(func.value, ast.Name) and func.value.id in ("self", "cls")):
            return ()
        name = func.attr
    else:
        name = getattr(func, "id", "")
    if name != info.name or not (node.args or node.keywords):
        return ()
    params = info.params[1:] if info.params[:1] in (("self",), ("cls",)) else info.params
    positional = [a.id if isinstance(a, ast.Name) else "" for a in node.args]
    if positional != list(params[: len(positional)]):
        return ()
    if any(not (isinstance(k.value, ast.Name) and k.arg == k.value.id) for k in node.keywords):
        return ()
    return ("same-args",)


def _suspends(node: ast.AsyncFunctionDef) -> bool:
    """The coroutine's own body (not a function nested in it) can pause: an `await`, an
    `async for`, an `async with`, or an async comprehension."""
    todo: list[ast.AST] = list(node.body)
    while todo:
        item = todo.pop()
        if isinstance(item, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
            return True
        if isinstance(item, ast.comprehension) and item.is_async:
            return True
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        todo.extend(ast.iter_child_nodes(item))
    return False


def _catches_all(node: ast.FunctionDef | ast.AsyncFunctionDef, decorators: list[str]) -> str:
    """How the function handles every exception of its body, "" when one can escape.

    A decorator named for it (`@log_exceptions`), or a body whose every statement that awaits
    or calls sits in a `try` with a broad handler (`except Exception`, bare `except`) that
    does not re-raise; `with` and loop bodies are looked into (a supervisor loop that catches
    per iteration handles everything)."""
    for name in decorators:
        short = name.rsplit(".", 1)[-1]
        if _EXCEPTION_DECORATORS.search(short):
            return f"`@{short}`"
    return "a broad `except`" if _guarded(node.body) else ""


def _broad_handler(handler: ast.ExceptHandler) -> bool:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    broad = any(kind is None or _dotted(kind) in ("Exception", "BaseException") for kind in kinds)
    return broad and not any(isinstance(s, ast.Raise) for s in handler.body)


def _guarded(body: list[ast.stmt]) -> bool:
    """Every statement of `body` that calls or awaits is covered by a broad handler."""
    covered = False
    for stmt in body:
        if isinstance(stmt, ast.Try) and any(_broad_handler(h) for h in stmt.handlers):
            covered = True
        elif isinstance(stmt, (ast.With, ast.AsyncWith, ast.For, ast.AsyncFor, ast.While)):
            if not _guarded(stmt.body):
                return False
            covered = True
        elif _is_log_statement(stmt):
            continue
        elif any(isinstance(n, (ast.Call, ast.Await)) for n in ast.walk(stmt)):
            return False
    return covered


def _is_log_statement(stmt: ast.stmt) -> bool:
    """`logger.info(...)`, `self.logger.debug(...)`, `print(...)`: calls that do not raise."""
    if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
        return False
    name = _dotted(stmt.value.func) or ""
    receiver = name.rpartition(".")[0].rsplit(".", 1)[-1].lower()
    return name == "print" or "log" in receiver


def _short_source(node: ast.AST, limit: int = 80) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _formatted_values(arg: ast.AST) -> tuple[str, ...]:
    """Sources of the values an eager format interpolates (see `_is_eager_format`)."""
    if isinstance(arg, ast.JoinedStr):
        values = [v.value for v in arg.values if isinstance(v, ast.FormattedValue)]
    elif isinstance(arg, ast.BinOp):  # "..." % (a, b)
        values = list(arg.right.elts) if isinstance(arg.right, ast.Tuple) else [arg.right]
    elif isinstance(arg, ast.Call):  # "...".format(a, b=c)
        values = [*arg.args, *(k.value for k in arg.keywords)]
    else:
        values = []
    return tuple(_short_source(v) for v in values)


def _is_eager_format(arg: ast.AST) -> bool:
    """An argument formatted before the call, whether or not the log level is enabled."""
    if isinstance(arg, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in arg.values)
    if isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod):
        return isinstance(arg.left, ast.Constant) and isinstance(arg.left.value, str)
    if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute):
        return arg.func.attr == "format" and isinstance(arg.func.value, ast.Constant)
    return False


_BUILTIN_NAMES = frozenset(dir(__import__("builtins")))


def summarize_tree(
    tree: ast.Module, relpath: str, module: str | None = None, source: str | None = None
) -> ModuleSummary:
    """The module's summary; with its `source`, also what it imports and names."""
    module = module if module is not None else module_name_for(relpath)
    is_package = relpath.replace("\\", "/").endswith("__init__.py")
    summarizer = _Summarizer(tree, relpath, module, is_package)
    summary = summarizer.run()
    if source is not None:
        summary.references = references_of(
            source, tree, module, summarizer.package, summarizer.import_nodes
        )
    return summary


def summarize_source(source: str, relpath: str, module: str | None = None) -> ModuleSummary:
    """Parse with `ast` and summarize; raises SyntaxError on code that does not parse."""
    summary = summarize_tree(ast.parse(source), relpath, module, source)
    summary.lines = source.count("\n") + 1
    return summary


@dataclass(frozen=True)
class BlockingChain:
    """How a sync function ends up blocking: the hops, and the blocking call at the end."""

    steps: tuple[ChainStep, ...]
    kind: str
    call: str  # qualified name of the blocking call at the end
    platform: str = ""  # "macOS" when a call on the way runs only there ("" everywhere)
    # A call on the way runs only inside an `except` handler: on an error or fallback path.
    error_path: bool = False

    @property
    def depth(self) -> int:
        return len(self.steps)


class ProjectModel:
    """The joined summaries of every file in the audited tree, with the call graph resolved."""

    def __init__(self) -> None:
        self.modules: dict[str, ModuleSummary] = {}
        self.by_path: dict[str, ModuleSummary] = {}
        self.functions: dict[str, FunctionInfo] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.gui_functions: dict[str, str] = {}  # qualname -> why it runs on the GUI thread
        self.thread_targets: dict[str, str] = {}  # qualname -> where it is started
        # Classes whose slots run in a worker thread (moved there, or a thread/runnable body).
        self.worker_classes: dict[str, str] = {}  # class qualname -> why
        self.cached_functions: dict[str, str] = {}  # qualname -> the caching decorator
        self._once: dict[str, str] | None = None
        self._hot: frozenset[str] | None = None
        self._qt_classes: dict[str, bool] = {}
        self._chains: dict[tuple[str, frozenset[str]], BlockingChain | None] = {}
        self._memo: dict[str, object] = {}

    # -- building ------------------------------------------------------------------------------
    @classmethod
    def build(cls, summaries: Iterable[ModuleSummary]) -> ProjectModel:
        model = cls()
        for summary in summaries:
            model.modules[summary.module] = summary
            model.by_path[summary.relpath] = summary
            for fn in summary.functions:
                model.functions[fn.qualname] = fn
            for klass in summary.classes:
                model.classes[klass.qualname] = klass
        model._find_gui_and_thread_functions()
        model._resolve_indirect_locks()
        return model

    def _resolve_indirect_locks(self) -> None:
        """Locks taken for a method by a decorator (`@with_lock`) or a context helper
        (`with self._locked():`) become lock uses of the method, like `with self._lock:`."""
        for fn in self.functions.values():
            if not fn.decorators and not fn.helper_withs:
                continue
            found: list[LockUse] = []
            klass = self.classes.get(fn.cls)
            for name in fn.decorators:
                # A decorator defined in the class body is named bare (`@with_wallet_lock`).
                deco = self.functions.get(name) or (
                    self.functions.get(klass.methods.get(name, "")) if klass else None
                )
                # A sync wrapper around a coroutine function holds the lock only while the
                # coroutine object is created, not while it runs.
                if deco is None or not deco.lock_wrapper:
                    continue
                if fn.is_async and not deco.lock_wrapper_async:
                    continue
                if not fn.cls and deco.lock_wrapper.startswith("self."):
                    continue
                awaits = [c.line for c in fn.calls if c.awaited]
                first_await = min(awaits, default=0)
                via = f"@{deco.name}"
                found.append(LockUse(fn.line, deco.lock_wrapper, first_await, fn.end_line, via))
            for use in fn.helper_withs:
                helper = self.method(fn.cls, use.lock.removeprefix("self."))
                if helper is not None and helper.holds_lock:
                    lock = helper.holds_lock
                    via = f"{use.lock}()"
                    found.append(LockUse(use.line, lock, use.await_line, use.end_line, via))
            known = {(u.line, u.lock) for u in fn.lock_uses}
            fn.lock_uses.extend(u for u in found if (u.line, u.lock) not in known)

    def is_qt_class(self, qualname: str, _seen: frozenset[str] = frozenset()) -> bool:
        """Whether the class derives (through project classes too) from a Qt/NodeGraphQt class."""
        known = self._qt_classes.get(qualname)
        if known is not None:
            return known
        klass = self.classes.get(qualname)
        result = False
        if klass is not None and qualname not in _seen:
            for base in klass.bases:
                if base.split(".", 1)[0] in QT_PACKAGES:
                    result = True
                elif base in self.classes:
                    result = self.is_qt_class(base, _seen | {qualname})
                else:
                    short = base.rsplit(".", 1)[-1]
                    module = self.modules.get(klass.module)
                    # `from PySide6.QtWidgets import *` leaves Qt bases unresolved.
                    result = bool(
                        module and module.uses_qt and short[:1] == "Q" and "." not in base
                    )
                if result:
                    break
        self._qt_classes[qualname] = result
        return result

    def _find_gui_and_thread_functions(self) -> None:
        for fn in self.functions.values():
            if fn.cls and self.is_qt_class(fn.cls):
                if any(d.rsplit(".", 1)[-1] in _SLOT_DECORATORS for d in fn.decorators):
                    self.gui_functions.setdefault(fn.qualname, "a Qt slot")
                elif fn.name in QT_CALLBACK_NAMES or (
                    fn.name.endswith("Event") and len(fn.name) > 5 and fn.name[0].islower()
                ):
                    self.gui_functions.setdefault(fn.qualname, f"Qt calls `{fn.name}`")
            module = self.modules.get(fn.module)
            qt_context = (fn.cls and self.is_qt_class(fn.cls)) or (module and module.uses_qt)
            for call in fn.calls:
                last = call.target.rsplit(".", 1)[-1]
                if qt_context and (last == "connect" or call.target.endswith("singleShot")):
                    for ref in call.callables:
                        target = self.resolve(fn, ref)
                        if target is not None and not target.is_async:
                            why = f"connected to a Qt signal in `{fn.qualname}`"
                            self.gui_functions.setdefault(target.qualname, why)
                if call.target in _THREAD_SPAWNERS or last in _THREAD_METHODS:
                    for ref in call.callables:
                        target = self.resolve(fn, ref)
                        if target is not None and not target.is_async:
                            where = f"started in a worker thread by `{fn.qualname}`"
                            self.thread_targets.setdefault(target.qualname, where)
                if last == "moveToThread":
                    moved = self._receiver_class(fn, call.target.rpartition(".")[0])
                    if moved is not None:
                        why = f"moved to a worker thread in `{fn.qualname}`"
                        self.worker_classes.setdefault(moved, why)
            cache = next((d for d in fn.decorators if d.rsplit(".", 1)[-1] in _CACHES), None)
            if cache is not None:
                self.cached_functions[fn.qualname] = cache.rsplit(".", 1)[-1]
            if fn.name == "run" and fn.cls:
                base = self._thread_base(fn.cls)
                if base is not None:
                    self.thread_targets.setdefault(fn.qualname, f"{base}.run")
        # A moved object's slots run in its thread, whatever signal they are connected to.
        for qualname in list(self.gui_functions):
            fn = self.functions[qualname]
            if qualname in self.thread_targets or (fn.cls and fn.cls in self.worker_classes):
                del self.gui_functions[qualname]

    def _thread_base(self, class_qualname: str) -> str | None:
        """`QThread`, `QRunnable` or `Thread` when the class's `run` is a thread body."""
        for klass in self._class_and_bases(class_qualname):
            for base in klass.bases:
                short = base.rsplit(".", 1)[-1]
                if short in ("QThread", "QRunnable") or base == "threading.Thread":
                    return short
        return None

    def _receiver_class(self, fn: FunctionInfo, receiver: str) -> str | None:
        """The project class of `self`, `self._worker` or a local `worker = Worker()`."""
        if receiver in ("self", "cls"):
            return fn.cls or None
        head, _, rest = receiver.partition(".")
        if head == "self" and fn.cls and "." not in rest:
            klass = self.attr_type(fn.cls, rest)
        elif not rest:
            klass = fn.local_types.get(head)
        else:
            klass = None
        return klass if klass in self.classes else None

    # -- queries ---------------------------------------------------------------------------------
    def _class_and_bases(self, class_qualname: str) -> Iterator[ClassInfo]:
        """The class, then its project bases breadth first (MRO-ish), each once."""
        todo = deque([class_qualname])
        seen: set[str] = set()
        while todo:
            current = todo.popleft()
            if current in seen:
                continue
            seen.add(current)
            klass = self.classes.get(current)
            if klass is not None:
                yield klass
                todo.extend(klass.bases)

    def derives_from(self, class_qualname: str, base: str) -> bool:
        """Whether the class is `base` or has it among its bases, through project classes
        (`base` may be outside the project: "threading.Thread")."""
        return class_qualname == base or any(
            base in klass.bases for klass in self._class_and_bases(class_qualname)
        )

    def method(self, class_qualname: str, name: str) -> FunctionInfo | None:
        """`name` looked up on the class and then its project bases, in MRO-ish order."""
        for klass in self._class_and_bases(class_qualname):
            qual = klass.methods.get(name)
            if qual is not None:
                return self.functions.get(qual)
        return None

    def attr_type(self, class_qualname: str, attr: str) -> str | None:
        for klass in self._class_and_bases(class_qualname):
            if attr in klass.attr_types:
                return klass.attr_types[attr]
        return None

    def signal_payload(self, class_qualname: str, attr: str) -> tuple[str, ...] | None:
        """Payload types of the Qt signal `attr` declared on the class or a project base."""
        for klass in self._class_and_bases(class_qualname):
            if attr in klass.signals:
                return klass.signals[attr]
        return None

    def lock_owner(self, class_qualname: str, attr: str) -> str | None:
        """The class (the given one or a project base) that creates thread lock `attr`."""
        for klass in self._class_and_bases(class_qualname):
            if attr in klass.lock_attrs:
                return klass.qualname
        return None

    def lock_kind(self, class_qualname: str, attr: str) -> str | None:
        """`threading.Lock` etc. when `self.<attr>` of the class (or a base) is a thread lock."""
        for klass in self._class_and_bases(class_qualname):
            if attr in klass.lock_attrs:
                return klass.lock_attrs[attr]
        return None

    def resolve(self, caller: FunctionInfo, target: str) -> FunctionInfo | None:
        """The project function a call target (as recorded in a CallSite) refers to."""
        head, _, rest = target.partition(".")
        if head in ("self", "cls") and caller.cls:
            if "." not in rest:
                return self.method(caller.cls, rest)
            attr, _, meth = rest.partition(".")
            klass = self.attr_type(caller.cls, attr)
            if "." in meth:
                # `self.repo.db.write()`: one more hop through the collaborator's own typed
                # attribute.
                inner, _, meth = meth.partition(".")
                if "." in meth or not klass or klass not in self.classes:
                    return None
                klass = self.attr_type(klass, inner)
            if klass and klass in self.classes:
                return self.method(klass, meth)
            return None
        found = self.functions.get(target)
        if found is not None:
            return found
        if target in self.classes:
            return self.method(target, "__init__")
        owner, _, name = target.rpartition(".")
        if owner in self.classes:
            return self.method(owner, name)
        return None

    def typed_target(self, caller: FunctionInfo, target: str) -> str:
        """`proc.wait` -> `subprocess.Popen.wait` when `proc = subprocess.Popen(...)` in the
        caller (or `self._proc` was assigned one in the class); else `target` unchanged.

        Lets the blocking catalogue see methods of objects the code constructed itself
        (sessions, processes, threads, archives), not only module-level functions.
        """
        head, _, rest = target.partition(".")
        if not rest:
            return target
        if head in ("self", "cls") and caller.cls:
            attr, _, meth = rest.partition(".")
            if not meth or "." in meth:
                return target
            ctor = self.attr_type(caller.cls, attr)
            return f"{ctor}.{meth}" if ctor else target
        if "." in rest:
            return target
        ctor = caller.local_types.get(head)
        return f"{ctor}.{rest}" if ctor else target

    def call_blocking_kind(self, caller: FunctionInfo, target: str) -> str | None:
        """`blocking_kind` of the call as written, else of its typed form (see typed_target)."""
        kind = blocking_kind(target)
        if kind is None:
            typed = self.typed_target(caller, target)
            if typed != target:
                kind = blocking_kind(typed)
        return kind

    def blocking_chain(
        self,
        fn: FunctionInfo,
        kinds: frozenset[str],
        max_depth: int = 5,
        off: frozenset[str] = frozenset(),
    ) -> BlockingChain | None:
        """Shortest chain of sync calls from `fn` down to a blocking call of one of `kinds`.

        `fn` itself is not a hop: the first step is the first call made in `fn`'s body.
        Awaited calls and calls to coroutine functions are not followed (they do not run
        inside `fn`'s frame); neither are calls into worker-thread helpers, nor branches a
        parameter's default skips when the caller leaves it out (`off` for `fn` itself).
        """
        key = (fn.qualname, kinds, off)
        if key in self._chains:
            return self._chains[key]
        result: BlockingChain | None = None
        # A chain through a call that runs only on one OS, or only in an `except` handler
        # (an error or fallback path), is kept as a fallback: a chain that blocks everywhere
        # on the normal path, if there is one, says more.
        fallback: BlockingChain | None = None
        queue: deque[tuple[FunctionInfo, tuple[ChainStep, ...], str, bool, frozenset[str]]]
        queue = deque([(fn, (), "", False, off)])
        seen = {fn.qualname: False}  # qualname -> reached only through an error path
        while queue and result is None:
            current, steps, platform, error, skip = queue.popleft()
            calls = [c for c in current.calls if _follows(c, skip)]
            for call in calls:
                kind = self.call_blocking_kind(current, call.target)
                if kind in kinds and not returns_at_once(call):
                    step = ChainStep(current.relpath, call.line, current.qualname, call.target)
                    os_name = platform or _platform_of(call)
                    on_error = error or _on_error(call)
                    found = BlockingChain(
                        (*steps, step),
                        kind,  # type: ignore[arg-type]
                        call.target,
                        os_name,
                        on_error,
                    )
                    if not os_name and not on_error:
                        result = found
                        break
                    if fallback is None or _rank(found) < _rank(fallback):
                        fallback = found
            if result is not None or len(steps) >= max_depth:
                continue
            for call in calls:
                callee = self.resolve(current, call.target)
                if callee is None or callee.is_async:
                    continue
                on_error = error or _on_error(call)
                if callee.qualname in seen and (on_error or not seen[callee.qualname]):
                    continue  # seen already, and not only through an error path
                if self.runs_elsewhere(callee.qualname):
                    continue
                seen[callee.qualname] = on_error
                step = ChainStep(current.relpath, call.line, current.qualname, callee.qualname)
                platform_now = platform or _platform_of(call)
                queue.append(
                    (callee, (*steps, step), platform_now, on_error, unpassed(call, callee))
                )
        result = result or fallback
        self._chains[key] = result
        return result

    def runs_elsewhere(self, qualname: str) -> bool:
        """Calling it does not run its body now, here: a cached result or a worker thread."""
        if qualname in self.cached_functions or qualname in self.thread_targets:
            return True
        fn = self.functions.get(qualname)
        return bool(fn and fn.cls and fn.cls in self.worker_classes)

    def chain_from_call(
        self, fn: FunctionInfo, call: CallSite, kinds: frozenset[str]
    ) -> tuple[FunctionInfo, BlockingChain] | None:
        """The callee of `call` in `fn` and its blocking chain, with `call` as the first step;
        None when the call runs once (first-creation branch), elsewhere, or never blocks.

        Also None when only an error or fallback path blocks (a call on the way sits in an
        `except` handler: `except ImportError: install_silently()`): the path the code takes
        when things work does not block, and a failure that stalls once is not the defect
        these rules describe."""
        if call.awaited or _on_error(call) or "once" in call.guards:
            return None
        callee = self.resolve(fn, call.target)
        if callee is None or callee.is_async or self.runs_elsewhere(callee.qualname):
            return None
        chain = self.blocking_chain(callee, kinds, off=unpassed(call, callee))
        if chain is None or chain.error_path:
            return None
        first = ChainStep(fn.relpath, call.line, fn.qualname, callee.qualname)
        platform = _platform_of(call) or chain.platform
        return callee, BlockingChain((first, *chain.steps), chain.kind, chain.call, platform)

    # -- once-only and hot code ------------------------------------------------------------------
    def once_reason(self, qualname: str) -> str | None:
        """Why the function runs once (per object, per thread or per program), else None.

        Set-up methods (`__init__`, `setup*`, `_init_*`, `setupUi`, `main`...), functions
        cached by `functools.cache`/`lru_cache`/`cached_property`, thread bodies (`run` of a
        QThread, QRunnable or Thread: once per thread; a loop inside still repeats), and
        functions whose every known caller is once-only code (not in a loop there) or the
        module's import-time code."""
        if self._once is None:
            self._once = self._find_once()
        return self._once.get(qualname)

    def _find_once(self) -> dict[str, str]:
        once: dict[str, str] = {}
        from_module: set[str] = set()
        for summary in self.modules.values():
            for target in summary.module_calls:
                callee = self.functions.get(target)
                if callee is None and target in self.classes:
                    callee = self.method(target, "__init__")
                if callee is not None:
                    from_module.add(callee.qualname)
        for fn in self.functions.values():
            if fn.qualname in self.cached_functions:
                once[fn.qualname] = f"cached by `@{self.cached_functions[fn.qualname]}`"
            elif fn.name == "main":
                once[fn.qualname] = "the program's entry point"
            elif any(d.rsplit(".", 1)[-1] in _CLI_DECORATORS for d in fn.decorators):
                once[fn.qualname] = "a command-line entry point (once per invocation)"
            elif _ONCE_NAMES.match(fn.name):
                once[fn.qualname] = f"set-up code (`{fn.name}` runs once per object)"
            elif _TEARDOWN_NAMES.match(fn.name):
                once[fn.qualname] = f"at shutdown (`{fn.name}` is teardown, once per object)"
            elif shutdown_name(fn.name):
                once[fn.qualname] = (
                    f"after a crash (`{fn.name}` runs once per crash)"
                    if _CRASH_WORD.search(fn.name)
                    else f"at shutdown (`{fn.name}` runs as the program or machine goes down)"
                )
            elif fn.name == "run" and self.thread_targets.get(fn.qualname, "").endswith(".run"):
                once[fn.qualname] = "a thread body (runs once per thread)"
        for fn in self.functions.values():
            for call in fn.calls:
                # `signal.signal(signal.SIGTERM, on_term)`: the stop signals end the program.
                stop_signal = call.target == "signal.signal" and any(
                    c in _STOP_SIGNALS for c in call.callables
                )
                quit_hook = call.target == "atexit.register" or call.target.endswith(_QUIT_HOOKS)
                if quit_hook or stop_signal:
                    for handler in call.callables:
                        target = self.resolve(fn, handler)
                        if target is not None and target.qualname not in once:
                            once[target.qualname] = (
                                f"at shutdown (`{target.name}` runs when the program quits)"
                            )
        for _ in range(4):
            changed = self._find_loop_entries(once)
            for fn in self.functions.values():
                q = fn.qualname
                if q in once or q in self.gui_functions or q in self.thread_targets:
                    continue
                callers = self.callers(q)
                if not callers and q not in from_module:
                    continue
                if all(
                    "once" in call.guards
                    or ("install-once" in call.guards and not call.in_loop)
                    or (caller.qualname in once and not call.in_loop)
                    for caller, call in callers
                ):
                    if callers:
                        first = callers[0][0]
                        once[q] = f"only called from once-only code (`{first.name}`)"
                    else:
                        once[q] = "called once, at import time or from `__main__`"
                    changed = True
            if not changed:
                break
        return once

    def _find_loop_entries(self, once: dict[str, str]) -> bool:
        """Add to `once` the coroutines that once-only code (or a function nothing in the
        tree calls: a console-script entry) hands to `asyncio.run(...)` or
        `loop.run_until_complete(...)`: the program's entry, run once on a loop that has
        nothing else to stall. True when something was added."""
        added = False
        for fn in self.functions.values():
            runners = [
                c
                for c in fn.calls
                if c.target.rsplit(".", 1)[-1] in _LOOP_RUNNERS and not c.in_loop
            ]
            if not runners or not self._entry_like(fn, once):
                continue
            for runner in runners:
                for call in fn.calls:
                    inside = (call.line, call.col) > (runner.line, runner.col)
                    if call is runner or not inside or call.line > runner.end_line:
                        continue
                    coro = self.resolve(fn, call.target) or self._reexported(call.target)
                    if coro is not None and coro.is_async and coro.qualname not in once:
                        short = runner.target.rsplit(".", 1)[-1]
                        once[coro.qualname] = (
                            f"the program's entry (run to completion by `{short}()` in `{fn.name}`)"
                        )
                        added = True
        return added

    def _reexported(self, target: str) -> FunctionInfo | None:
        """`pkg.climain` when `pkg/__init__.py` does `from .cli import climain`."""
        owner, _, name = target.rpartition(".")
        summary = self.modules.get(owner)
        source = summary.imports.get(name) if summary else None
        return self.functions.get(source) if source else None

    def _entry_like(self, fn: FunctionInfo, once: dict[str, str]) -> bool:
        """Once-only code, or a plain module function that nothing in the tree calls or
        that only such functions call (outside loops): a `console_scripts` entry."""
        if fn.qualname in once:
            return True

        def uncalled(f: FunctionInfo) -> bool:
            top = not f.cls and f.qualname == f"{f.module}.{f.name}"
            return top and not self.callers(f.qualname)

        if uncalled(fn):
            return True
        callers = self.callers(fn.qualname)
        return bool(callers) and all(
            not call.in_loop and (caller.qualname in once or uncalled(caller))
            for caller, call in callers
        )

    def hot_functions(self, entry_points: Iterable[str], max_depth: int = 6) -> frozenset[str]:
        """The profile's hot entry points and every project function they call, a few calls
        deep: the code known to run per job, per event or per frame."""
        entries = frozenset(entry_points)
        key = "hot:" + "|".join(sorted(entries))

        def build() -> frozenset[str]:
            hot: set[str] = set()
            todo: deque[tuple[FunctionInfo, int]] = deque()
            for name in entries:
                fn = self.functions.get(name)
                if fn is None and name in self.classes:
                    fn = self.method(name, "__init__")
                if fn is not None and fn.qualname not in hot:
                    hot.add(fn.qualname)
                    todo.append((fn, 0))
            while todo:
                fn, depth = todo.popleft()
                if depth >= max_depth:
                    continue
                for call in fn.calls:
                    callee = self.resolve(fn, call.target)
                    if callee is not None and callee.qualname not in hot:
                        hot.add(callee.qualname)
                        todo.append((callee, depth + 1))
            return frozenset(hot)

        return self.memo(key, build)

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """`build()` once per model: for whole-project indexes a rule needs for every file.

        Project rules run once per file; a rule that scans `self.project.functions` in
        `check_project` does that scan 365 times on CasareRPA (tens of seconds). Build the
        index once instead: `index = self.project.memo("CIA5xx.callers_by_name", build)`.
        """
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]  # type: ignore[return-value]

    def callers(self, qualname: str) -> list[tuple[FunctionInfo, CallSite]]:
        """Every resolved call site of the function (built lazily, once)."""
        index = getattr(self, "_callers", None)
        if index is None:
            index = {}
            for fn in self.functions.values():
                for call in fn.calls:
                    callee = self.resolve(fn, call.target)
                    if callee is not None:
                        index.setdefault(callee.qualname, []).append((fn, call))
            self._callers = index
        return index.get(qualname, [])

    def functions_in(self, relpath: str) -> list[FunctionInfo]:
        summary = self.by_path.get(relpath)
        return summary.functions if summary else []

    def disconnected(self, name: str) -> bool:
        """Whether some function of the project disconnects a signal called `name`."""
        names = self.memo(
            "disconnected",
            lambda: frozenset(n for s in self.modules.values() for n in s.disconnects),
        )
        return name in names

    def function_at(self, relpath: str, line: int) -> FunctionInfo | None:
        """The innermost function of the file whose body spans `line` (None: module level)."""
        best: FunctionInfo | None = None
        for fn in self.functions_in(relpath):
            if fn.line <= line <= fn.end_line and (best is None or fn.line >= best.line):
                best = fn
        return best

    def error_path_at(self, relpath: str, lines: Iterable[int]) -> str | None:
        """Why the calls on `lines` (of one function) run only after something failed: each
        sits in an `except` block or in a branch that handles a failure (`if not ok:
        log.error(...)`), or every caller calls the function only there. None otherwise."""
        wanted = set(lines)
        if not wanted:
            return None
        fn = self.function_at(relpath, min(wanted))
        if fn is None:
            return None
        here = [c for c in fn.calls if c.line in wanted]
        if here and all(_on_error(c) and not in_retry_loop(fn, c) for c in here):
            return "only on the error path (after a failure)"
        if fn.qualname in self.memo("error_only_functions", self._error_only_functions):
            return "only on the error path (every caller calls it after a failure)"
        if error_handler_name(fn.name):
            return f"only on the error path (`{fn.name}` handles a failure)"
        return None

    def _error_only_functions(self) -> frozenset[str]:
        """Functions every known caller calls only on an error path, or from such a function."""
        found: set[str] = set()
        candidates = {
            q
            for q, fn in self.functions.items()
            if q not in self.gui_functions and q not in self.thread_targets
        }
        # A method no call resolves to (`dialog.handle_export_problem(e)` on an object of
        # unknown type, or an override of it) is called by its name: every call of that
        # method name in the tree.
        by_name: dict[str, list[tuple[FunctionInfo, CallSite]]] = {}
        for fn in self.functions.values():
            for call in fn.calls:
                if "." in call.target:
                    by_name.setdefault(call.target.rsplit(".", 1)[1], []).append((fn, call))
        for _ in range(3):
            changed = False
            for q in candidates - found:
                callers = self.callers(q)
                if not callers and self.functions[q].cls:
                    name = self.functions[q].name
                    callers = [c for c in by_name.get(name, []) if c[0].qualname != q]
                if callers and all(
                    _on_error(call) or caller.qualname in found for caller, call in callers
                ):
                    found.add(q)
                    changed = True
            if not changed:
                break
        return frozenset(found)

    def runs_once_at(self, relpath: str, line: int) -> str | None:
        """Why the code at `line` runs once (module level, set-up, cached, first-creation
        branch...), or None when it may run again and again. A loop around the line inside
        once-only code still repeats it."""
        fn = self.function_at(relpath, line)
        if fn is None:
            return "module-level code runs once, at import"
        here = [c for c in fn.calls if c.line == line]
        if fn.in_loop_at(line) and not (here and all(c.leaves_loop for c in here)):
            return None
        if any("once" in c.guards for c in here):
            return "a first-creation branch (runs once)"
        if any("file-once" in c.guards for c in here):
            return "a create-if-missing branch (runs once per file)"
        if any("install-once" in c.guards for c in here):
            return "an install-if-missing branch (runs once per install)"
        return self.once_reason(fn.qualname)
