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
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from analyzers.findings import ChainStep
from analyzers.matching import blocking_kind

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
    in_except: bool = False  # inside an `except` block (runs on the error path only)


@dataclass
class LockUse:
    """`with self._lock:` in a function, and the first await inside it (0 if none)."""

    line: int
    lock: str  # "self._lock"
    await_line: int = 0


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
    adds: list[tuple[int, str]] = field(default_factory=list)  # (line, how)
    removes: list[tuple[int, str]] = field(default_factory=list)


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
    calls: list[CallSite] = field(default_factory=list)
    lock_uses: list[LockUse] = field(default_factory=list)
    loops: list[PeriodicLoop] = field(default_factory=list)
    # line of each for-loop / comprehension -> source of what it iterates over
    loop_iters: dict[int, str] = field(default_factory=dict)
    # line of each loop (for, while, comprehension) -> line of the loop around it (0: none)
    loop_parents: dict[int, int] = field(default_factory=dict)


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


_STATEMENT_LEVEL = (ast.stmt, ast.excepthandler, ast.match_case)


def _import_statements(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Import statements at any depth, in `ast.walk`'s order, without entering expressions.

    Imports are statements, so only statement lists need walking; `ast.walk` over every
    expression node cost a sixth of the per-file summary. Breadth-first like `ast.walk`, so
    a name imported twice keeps the same first target.
    """
    todo = deque([tree])
    while todo:
        node = todo.popleft()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        todo.extend(c for c in ast.iter_child_nodes(node) if isinstance(c, _STATEMENT_LEVEL))


class _Summarizer:
    """Walks one module's ast once and fills a ModuleSummary."""

    def __init__(self, tree: ast.Module, relpath: str, module: str, is_package: bool) -> None:
        self.tree = tree
        self.summary = ModuleSummary(relpath=relpath, module=module, lines=0)
        self.package = module if is_package else module.rpartition(".")[0]
        self.imports = self.summary.imports
        self._discarded: set[int] = set()
        self._in_except: set[int] = set()
        self._collect_imports(tree)
        self.summary.uses_qt = any(v.split(".", 1)[0] in QT_PACKAGES for v in self.imports.values())

    # -- names -------------------------------------------------------------------------------
    def _collect_imports(self, tree: ast.AST) -> None:
        for node in _import_statements(tree):
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
        self.summary.symbols.sort()
        return self.summary

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
        )
        self.summary.functions.append(info)
        local_defs = dict(defs)
        nested: list[ast.stmt] = []
        self._scan(node.body, info, cls, local_defs, nested, loop_line=0)
        # Nested functions are functions of their own (run at another time than the outer).
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
        stack: list[tuple[ast.AST, int, bool]] = [(s, loop_line, False) for s in stmts]
        stack.reverse()
        while stack:
            node, in_loop, awaited = stack.pop()
            if isinstance(node, ast.ExceptHandler):
                for sub in node.body:
                    self._in_except.update(id(n) for n in ast.walk(sub) if isinstance(n, ast.Call))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                nested.append(node)
                if not isinstance(node, ast.ClassDef):
                    defs[node.name] = f"{info.qualname}.{node.name}"
                continue
            if isinstance(node, ast.Lambda):
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                self._discarded.add(id(node.value))
            if isinstance(node, ast.Call):
                self._call(node, info, cls, defs, in_loop, awaited)
                if cls is not None:
                    self._container_call(node, cls, info)
            elif isinstance(node, ast.Delete) and cls is not None:
                for target in node.targets:
                    if isinstance(target, ast.Subscript):
                        self._container_event(cls, target.value, node.lineno, "del", info)
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
            children: list[tuple[ast.AST, int, bool]] = []
            if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
                # The iterable / test of a loop runs once per iteration only for `while`.
                head = [node.test] if isinstance(node, ast.While) else [node.iter]
                line = node.lineno
                info.loop_parents.setdefault(line, in_loop)
                if not isinstance(node, ast.While):
                    info.loop_iters[line] = _short_source(node.iter)
                head_loop = line if isinstance(node, ast.While) else in_loop
                children += [(h, head_loop, False) for h in head]
                children += [(s, line, False) for s in node.body]
                children += [(s, in_loop, False) for s in node.orelse]
            elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
                line = node.lineno
                info.loop_parents.setdefault(line, in_loop)
                if node.generators:
                    info.loop_iters.setdefault(line, _short_source(node.generators[0].iter))
                for gen in node.generators:
                    children.append((gen.iter, in_loop, False))
                    children += [(c, line, False) for c in gen.ifs]
                elts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
                children += [(e, line, False) for e in elts]
            elif isinstance(node, ast.Await):
                children.append((node.value, in_loop, True))
            else:
                children += [(c, in_loop, False) for c in ast.iter_child_nodes(node)]
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
    ) -> None:
        target = self.resolve(node.func, defs)
        if target is None:
            return
        callables = []
        for arg in (*node.args, *(k.value for k in node.keywords)):
            if isinstance(arg, (ast.Name, ast.Attribute)):
                name = self.resolve(arg, defs)
                if name:
                    callables.append(name)
        info.calls.append(
            CallSite(
                line=node.lineno,
                end_line=node.end_lineno or node.lineno,
                col=node.col_offset,
                target=target,
                awaited=awaited,
                in_except=id(node) in self._in_except,
                in_loop=bool(in_loop),
                callables=tuple(callables),
                loop_line=in_loop,
                discarded=id(node) in self._discarded,
                formats=bool(node.args) and _is_eager_format(node.args[0]),
            )
        )

    def _with(self, node: ast.With | ast.AsyncWith, info: FunctionInfo) -> None:
        if isinstance(node, ast.AsyncWith):
            return
        for item in node.items:
            name = _dotted(item.context_expr)
            if name and name.startswith("self.") and name.count(".") == 1:
                await_line = 0
                for sub in node.body:
                    for inner in ast.walk(sub):
                        if isinstance(inner, (ast.Await, ast.AsyncFor, ast.AsyncWith)):
                            await_line = inner.lineno
                            break
                    if await_line:
                        break
                info.lock_uses.append(LockUse(line=node.lineno, lock=name, await_line=await_line))

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
                self._container_event(cls, target.value, node.lineno, "setitem", info)
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
                        new = ContainerUse(kind, node.lineno, bounded)
                        if use is not None:
                            new.adds, new.removes = use.adds, use.removes
                        cls.containers[attr] = new
                elif info.name != "__init__" and (use is not None or kind is not None):
                    # Re-assigned outside __init__: reset or rebuilt, so not only-growing.
                    use = cls.containers.setdefault(attr, ContainerUse("?", 0))
                    use.removes.append((node.lineno, "reassign"))
        if isinstance(value, ast.Await):
            value = value.value
        if not isinstance(value, ast.Call):
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
            self._container_event(cls, func.value, node.lineno, func.attr, info)

    def _container_event(
        self, cls: ClassInfo, target: ast.AST, line: int, how: str, info: FunctionInfo
    ) -> None:
        name = _dotted(target)
        if not name or not name.startswith("self.") or name.count(".") != 1:
            return
        # Created in a base class or further down: recorded now, kind filled in later.
        use = cls.containers.setdefault(name[5:], ContainerUse("?", 0))
        if how in _SHRINK_METHODS or how in ("del", "augassign"):
            use.removes.append((line, how))
        elif info.name != "__init__":
            use.adds.append((line, how))


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


def _short_source(node: ast.AST, limit: int = 80) -> str:
    text = ast.unparse(node)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


def summarize_tree(tree: ast.Module, relpath: str, module: str | None = None) -> ModuleSummary:
    module = module if module is not None else module_name_for(relpath)
    is_package = relpath.replace("\\", "/").endswith("__init__.py")
    summary = _Summarizer(tree, relpath, module, is_package).run()
    return summary


def summarize_source(source: str, relpath: str, module: str | None = None) -> ModuleSummary:
    """Parse with `ast` and summarize; raises SyntaxError on code that does not parse."""
    summary = summarize_tree(ast.parse(source), relpath, module)
    summary.lines = source.count("\n") + 1
    return summary


@dataclass(frozen=True)
class BlockingChain:
    """How a sync function ends up blocking: the hops, and the blocking call at the end."""

    steps: tuple[ChainStep, ...]
    kind: str
    call: str  # qualified name of the blocking call at the end

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
        return model

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
                            why = f"connected to a Qt signal at {fn.relpath}:{call.line}"
                            self.gui_functions.setdefault(target.qualname, why)
                if call.target in _THREAD_SPAWNERS or last in _THREAD_METHODS:
                    for ref in call.callables:
                        target = self.resolve(fn, ref)
                        if target is not None and not target.is_async:
                            where = f"started in a worker thread at {fn.relpath}:{call.line}"
                            self.thread_targets.setdefault(target.qualname, where)
            if (
                fn.name == "run"
                and fn.cls
                and any(
                    b.endswith("QThread") or b.endswith("threading.Thread")
                    for klass in self._class_and_bases(fn.cls)
                    for b in klass.bases
                )
            ):
                self.thread_targets.setdefault(fn.qualname, "QThread/Thread.run")

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
            if "." in meth:
                return None
            klass = self.attr_type(caller.cls, attr)
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

    def blocking_chain(
        self, fn: FunctionInfo, kinds: frozenset[str], max_depth: int = 5
    ) -> BlockingChain | None:
        """Shortest chain of sync calls from `fn` down to a blocking call of one of `kinds`.

        `fn` itself is not a hop: the first step is the first call made in `fn`'s body.
        Awaited calls and calls to coroutine functions are not followed (they do not run
        inside `fn`'s frame); neither are calls into worker-thread helpers.
        """
        key = (fn.qualname, kinds)
        if key in self._chains:
            return self._chains[key]
        result: BlockingChain | None = None
        queue: deque[tuple[FunctionInfo, tuple[ChainStep, ...]]] = deque([(fn, ())])
        seen = {fn.qualname}
        while queue and result is None:
            current, steps = queue.popleft()
            for call in current.calls:
                if call.awaited:
                    continue
                kind = blocking_kind(call.target)
                if kind in kinds:
                    step = ChainStep(current.relpath, call.line, current.qualname, call.target)
                    result = BlockingChain((*steps, step), kind, call.target)  # type: ignore[arg-type]
                    break
            if result is not None or len(steps) >= max_depth:
                continue
            for call in current.calls:
                if call.awaited:
                    continue
                callee = self.resolve(current, call.target)
                if callee is None or callee.is_async or callee.qualname in seen:
                    continue
                seen.add(callee.qualname)
                step = ChainStep(current.relpath, call.line, current.qualname, callee.qualname)
                queue.append((callee, (*steps, step)))
        self._chains[key] = result
        return result

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
