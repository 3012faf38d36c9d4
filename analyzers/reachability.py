"""Code nothing in the audited tree reaches: modules nothing imports, classes and functions
nobody names.

A finding in such code is true of the code but costs nothing until somebody revives it:
maintainers judged those "wrong" when they were ranked HIGH (a pool nobody imports, an
orchestrator method with no caller). `calibrate_severity` keeps them, capped at LOW and
saying why, because dead code can come back and some of it is a known defect.

The test is deliberately conservative (a false "unreachable" hides a real hot spot):
- a name counts as used wherever it appears in another place than its own `def`/`class`
  line, an import statement, `__all__`, a docstring or a whole-line comment (commented-out
  code): code and strings count, so `getattr(self, f"_on_{name}")` and registries by
  string keep code alive; methods that may be framework hooks (dunder, camelCase
  overrides, decorated, a class with bases outside the tree) are never called unused;
- a module is unimported when no module of the tree, and no script at the repository root
  (`run.py`, a shebang script, `[project.scripts]` of pyproject.toml), imports it or
  anything inside it, its name and its package's name appear in no quoted string (dynamic
  imports, plugin folders; a module's own strings do not count), and it is not a script
  itself (a `__main__` block that only starts a Qt application around the module's widget
  is a demo, not a script). Modules imported only by unimported ones, and modules of a
  package nothing imports, are unimported too.

Per file, `references_of` collects the facts from the source text and the ast's import
statements (no extra walk over every expression: the audit's cold time is a target), and
the summary caches them.
"""

from __future__ import annotations

import ast
import builtins
import hashlib
import re
import tomllib
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

_WORD = re.compile(r"[A-Za-z_]\w*")
_PROSE = re.compile(r"\s")  # a string with whitespace is a sentence, not a name to look up
_FIELD = re.compile(r"\{([^{}]*)\}")  # an f-string's replacement fields
_ATTRIBUTE = re.compile(r"\.[ \t]*([A-Za-z_]\w*)")
_PROPERTY = re.compile(r"\bproperty\(([^()]*)\)")  # `size = property(get_size, set_size)`
_OBJECT_NAME = re.compile(r"""\bsetObjectName\(\s*(?:'([^'\n]{1,300})'|"([^"\n]{1,300})")""")
_QUOTED = re.compile(r"""'([^'\n]{1,300})'|"([^"\n]{1,300})\"""")
_DEF = re.compile(r"^[ \t]*(?:async[ \t]+)?(?:def|class)[ \t]+([A-Za-z_]\w*)", re.M)
# Triple-quoted strings, prefixed or not, matched in order (an f-string's closing quotes
# must not open a "docstring"). Prose ("Called by DebugExecutor before each node") is not a
# use, so non-f ones are blanked; an f-string holds code and is kept.
_TRIPLE = re.compile(r'(?<![A-Za-z0-9_])([rRbBuUfF]{0,2})("""|\'\'\')[\s\S]*?\2')
# Whole-line comments: commented-out code (`# from .pool import Pool`) is not a use.
_COMMENT_LINE = re.compile(r"^[ \t]*#.*$", re.M)
# A comment after code on a line with no quote in it (`x = 1  # loader = Loader()`); with a
# quote the `#` may be inside a string (or end a triple-quoted one), so the line stays.
_HASH_TO_END = re.compile(r"#[^'\"\n]*$", re.M)
_MAIN_GUARD = re.compile(r"""^if\s+__name__\s*==\s*['"]__main__['"]""", re.M)
# A `__main__` block that starts a Qt application shows the module's widget on its own: a
# developer's demo, not how the program runs it (the program imports the widget).
_QT_APP = re.compile(r"\bQ(?:Gui|Core)?Application\b")
# The program's own application object: a Qt application made or subclassed (not only
# asked for with `QApplication.instance()`), or a Tk root window.
_APP_OBJECT = re.compile(
    r"\bclass\s+\w+\s*\([^)]*\bQ(?:Gui|Core)?Application\b"
    r"|\bQ(?:Gui|Core)?Application\s*\(|\bTk\s*\(\s*\)"
)
# Plugins installed beside the program, found through entry-point groups it reads: they
# call the program's published API (`importlib.metadata.entry_points(group=...)`).
_ENTRY_POINT_LOOKUP = re.compile(r"\b(?:iter_)?entry_points\s*\(")
# Imports by a name computed at run time: a plugin folder, commands loaded by file name.
_DYNAMIC_IMPORT = re.compile(
    r"\b(?:import_module|__import__|iter_modules|walk_packages|make_plugin_source|load_plugin"
    r"|spec_from_file_location|load_source|SourceFileLoader)\s*\("
)
_PACKAGE_PATH = re.compile(r"\b([A-Za-z_]\w*)\.__path__\b")
_RESOURCE_PATTERNS = ("*.ui", "*.qml")
_SKIPPED_DIRS = frozenset(
    {".git", ".venv", "venv", "node_modules", "site-packages", "build", "dist"}
)
# Module names that are run, not imported.
_SCRIPT_NAMES = frozenset({"__main__", "setup", "conftest", "manage", "noxfile", "fabfile"})
# Bases that add no framework hooks: a method of a class built only on these and on the
# tree's own classes is called by name or not at all.
_PLAIN_BASES = frozenset(
    {"object", "ABC", "abc.ABC", "Generic", "typing.Generic", "Protocol", "typing.Protocol"}
)


@dataclass
class References:
    """What one module imports and names (plain data: cached with the module summary).

    Kept as three newline-joined strings: the summary is pickled to the cache and back from
    each worker, and a thousand-word set per file cost more to pickle than to compute."""

    imported_text: str = ""  # "pkg.mod", "pkg.mod.Name"
    names_text: str = ""  # words used beyond defs and imports
    # Words used as an attribute (`obj.frame`, `Cls.frame`) or handed to `property(...)`: a
    # method is reached only so (or by a string); a bare `frame` is some local variable.
    attrs_text: str = ""
    # Classes a decorator may register (`@register_trigger class EmailTrigger`): found
    # through the registry, never by name.
    registered_text: str = ""
    strings_text: str = ""  # words inside quoted strings that are names, not prose
    # What the quoted strings could load as modules: "browser_pool" for "browser_pool",
    # "pkg.browser_pool", "pkg/browser_pool.py" or "browser_pool.BrowserPool", and every
    # dotted prefix ("pkg", "pkg.browser_pool"); a middle word of a dotted name that is no
    # module path ("app.browser_pool.active", a metric) loads nothing.
    loads_text: str = ""
    script: bool = False  # has an `if __name__ == "__main__":` block
    demo: bool = False  # ... that only starts a Qt application around the module's widgets
    app: bool = False  # makes or subclasses the application object (outside a demo block)
    plugin_host: bool = False  # loads plugins through entry-point groups
    # Imports modules by a name computed at run time (`importlib.import_module(name)`,
    # `pkgutil.iter_modules`, pluginbase's `load_plugin`, a spec from a file path): the
    # packages it names (`Path(__file__).parent / "cmd"`) may be loaded whole.
    dynamic_loader: bool = False
    # When `dynamic_loader`: the folders it may load from, as named by a string that is one
    # bare word (`/ "cmd"`, `"plugins"`) or a package whose `__path__` it reads.
    loader_dirs_text: str = ""

    @property
    def imported(self) -> frozenset[str]:
        return frozenset(self.imported_text.split("\n")) - {""}

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.names_text.split("\n")) - {""}

    @property
    def registered(self) -> frozenset[str]:
        return frozenset(self.registered_text.split("\n")) - {""}

    @property
    def attrs(self) -> frozenset[str]:
        return frozenset(self.attrs_text.split("\n")) - {""}

    @property
    def strings(self) -> frozenset[str]:
        return frozenset(self.strings_text.split("\n")) - {""}

    @property
    def loads(self) -> frozenset[str]:
        return frozenset(self.loads_text.split("\n")) - {""}


def _loadable(text: str) -> Iterator[str]:
    """Module names or paths a quoted string may load (see `References.loads_text`)."""
    # An f-string's {field} stands for any name: f"app.services.{name}.__service__" loads
    # every `__service__` module, f"app.plugins.{name}" any module of app.plugins ("*").
    for part in re.split(r"[:/\\]", _FIELD.sub("*", text)):
        parts = part.removesuffix(".py").split(".")
        if not all(p == "*" or _WORD.fullmatch(p) for p in parts):
            continue
        yield parts[-1] if parts[-1] != "*" else ".".join(parts[:-1]) + ".*"
        for i in range(1, len(parts)):
            if "*" in parts[:i]:
                break
            yield ".".join(parts[:i])
            if parts[i][:1].isupper():  # "browser_pool.BrowserPool": module, then attribute
                yield parts[i - 1]


def _import_targets(
    statements: Iterable[ast.Import | ast.ImportFrom], package: str
) -> Iterator[tuple[str, tuple[str, ...]]]:
    """(resolved dotted target, words the statement spells) of each import statement."""
    for node in statements:
        if isinstance(node, ast.Import):
            for alias in node.names:
                words = (*alias.name.split("."), *([alias.asname] if alias.asname else []))
                yield alias.name, words
        else:
            base = node.module or ""
            if node.level:
                parts = package.split(".") if package else []
                if node.level > 1:
                    parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            yield base, tuple(node.module.split(".")) if node.module else ()
            for alias in node.names:
                if alias.name != "*":
                    extra = (alias.name, *([alias.asname] if alias.asname else []))
                    yield (f"{base}.{alias.name}" if base else alias.name), extra


_STATEMENT_LEVEL = (ast.stmt, ast.excepthandler, ast.match_case)


def import_statements(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
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


def _dunder_all_words(tree: ast.Module) -> list[str]:
    """The names listed in a module-level `__all__` (a re-export is not a use)."""
    words: list[str] = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
                value = stmt.value
                if isinstance(value, (ast.List, ast.Tuple)):
                    words += [
                        e.value
                        for e in value.elts
                        if isinstance(e, ast.Constant) and isinstance(e.value, str)
                    ]
    return words


def _blank_prose(match: re.Match[str]) -> str:
    return match.group(0) if "f" in match.group(1).lower() else '""'


def _keep_only_fields(match: re.Match[str]) -> str:
    text = match.group(1) or match.group(2) or ""
    if not _PROSE.search(text):
        return match.group(0)
    return '"' + " ".join(_FIELD.findall(text)) + '"'


def references_of(
    source: str,
    tree: ast.Module,
    module: str,
    package: str,
    statements: Iterable[ast.Import | ast.ImportFrom] | None = None,
) -> References:
    """What the module imports and names. `package` resolves relative imports; `statements`
    are its import statements when the caller has walked them already."""
    statements = import_statements(tree) if statements is None else statements
    imported: set[str] = set()
    code = _TRIPLE.sub(_blank_prose, strip_comments(source))
    code = _QUOTED.sub(_keep_only_fields, code)  # log lines are prose, their {fields} code
    # A Qt object name (`self.setObjectName("QueueDock")`) styles, finds or saves a widget
    # that already exists; it never makes the class it happens to spell.
    code = _OBJECT_NAME.sub('setObjectName(""', code)
    counts = Counter(_WORD.findall(code))
    spent: Counter[str] = Counter(_DEF.findall(code))  # a def in a docstring example is prose
    for target, words in _import_targets(statements, package):
        imported.add(target)
        spent.update(words)
    exported = _dunder_all_words(tree)
    spent.update(exported)
    names = [word for word, n in counts.items() if n > spent.get(word, 0)]
    attrs = set(_ATTRIBUTE.findall(code))
    if "property(" in code:
        for match in _PROPERTY.finditer(code):
            attrs.update(_WORD.findall(match.group(1)))
    # Names and paths in strings ("pkg.mod.Class", f"_on_{kind}"); prose is blanked above.
    # An `__all__` entry is a re-export, not a lookup by name.
    quoted: Counter[str] = Counter()
    loads: set[str] = set()
    for match in _QUOTED.finditer(code):
        text = match.group(1) or match.group(2) or ""
        quoted.update(_WORD.findall(text))
        loads.update(_loadable(text))
    loads.difference_update(exported)
    quoted.subtract(exported)
    dynamic = _DYNAMIC_IMPORT.search(code) is not None
    main = _MAIN_GUARD.search(source)
    demo = main is not None and _QT_APP.search(source, main.end()) is not None
    demo_block = _MAIN_GUARD.search(code) if demo else None
    app_code = code[: demo_block.start()] if demo_block else code  # a demo's app is not one
    return References(
        imported_text="\n".join(imported),
        names_text="\n".join(names),
        attrs_text="\n".join(attrs),
        registered_text="\n".join(_registered_classes(tree)),
        strings_text="\n".join(word for word, n in quoted.items() if n > 0),
        loads_text="\n".join(loads),
        script=main is not None,
        demo=demo,
        app=("Application" in app_code or "Tk(" in app_code)
        and _APP_OBJECT.search(app_code) is not None,
        plugin_host="entry_points" in code and _ENTRY_POINT_LOOKUP.search(code) is not None,
        dynamic_loader=dynamic,
        loader_dirs_text="\n".join(sorted(_loader_dirs(code))) if dynamic else "",
    )


def _loader_dirs(code: str) -> set[str]:
    """Bare-word strings (`"cmd"`) and packages whose `__path__` the code reads."""
    dirs = {m.group(1) for m in _PACKAGE_PATH.finditer(code)}
    for match in _QUOTED.finditer(code):
        text = match.group(1) or match.group(2) or ""
        if text.isidentifier():
            dirs.add(text)
    return dirs


# Class decorators that register nothing: they rewrite or wrap the class in place (a
# singleton or deprecation wrapper is still made by name).
_PLAIN_CLASS_DECORATORS = frozenset(
    {"dataclass", "total_ordering", "final", "runtime_checkable", "unique", "s", "define",
     "frozen", "mutable", "attrs"}
)  # fmt: skip
_PLAIN_CLASS_DECORATOR_WORDS = ("singleton", "dataclass", "deprecat")


def _registered_classes(tree: ast.Module) -> Iterator[str]:
    """Module-level (and nested) classes with a decorator that may register them."""
    todo = [s for s in tree.body if isinstance(s, ast.ClassDef)]
    while todo:
        node = todo.pop()
        todo.extend(s for s in node.body if isinstance(s, ast.ClassDef))
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name not in _PLAIN_CLASS_DECORATORS and not any(
                word in name.lower() for word in _PLAIN_CLASS_DECORATOR_WORDS
            ):
                yield node.name
                break


def strip_comments(source: str) -> str:
    """The source without its comments (commented-out code names nothing)."""
    source = _COMMENT_LINE.sub("", source)
    parts, last = [], 0
    for match in _HASH_TO_END.finditer(source):  # few per file: check each line's code
        start = match.start()
        code = source[source.rfind("\n", 0, start) + 1 : start]
        if "'" in code or '"' in code or "#" in code:
            continue
        parts.append(source[last:start])
        last = match.end()
    if not parts:
        return source
    parts.append(source[last:])
    return "".join(parts)


# -- the repository's own scripts ---------------------------------------------------------------
def outside_imports(base: Path) -> tuple[set[str], set[str], bytes]:
    """Modules imported by the scripts that start the program from outside the audited folder.

    Auditing `src/pkg` leaves `run.py` at the repository root out, yet it is what imports the
    application: its imports, the top-level shebang scripts' and pyproject's
    `[project.scripts]`/`[project.gui-scripts]` targets count as importers; the scripts'
    quoted words count as strings (`importlib.import_module("pkg.app")`). Also returns the
    bytes read, so a cache can key on them. Qt Designer and QML files in the tree load
    modules by name too (`<header>pkg.widgets.chart.h</header>`): their words count."""
    words, seen = _resource_words(base)
    root = _repository_root(base)
    if root is None or root == base:
        return set(), words, seen
    imported: set[str] = set()
    for path in sorted(root.iterdir()):
        try:
            if not path.is_file() or path.stat().st_size > 1_000_000:
                continue
            data = path.read_bytes()
        except OSError:
            continue
        if path.name == "pyproject.toml":
            seen += data
            imported |= _pyproject_scripts(data)
        elif path.suffix == ".py" or (
            not path.suffix and data.startswith(b"#!") and b"python" in data[:80]
        ):
            seen += data
            try:
                tree = ast.parse(data)
            except (SyntaxError, ValueError):
                continue
            imported |= {target for target, _ in _import_targets(import_statements(tree), "")}
            words |= set(_WORD.findall(data.decode("utf-8", "replace")))
    return imported, words, seen


def _resource_words(base: Path) -> tuple[set[str], bytes]:
    """Words of the `.ui` and `.qml` files under `base` (promoted widgets, QML imports)."""
    words: set[str] = set()
    seen = b""
    if not base.is_dir():
        return words, seen
    for pattern in _RESOURCE_PATTERNS:
        for path in sorted(base.rglob(pattern)):
            if any(part in _SKIPPED_DIRS for part in path.parts):
                continue
            try:
                if path.stat().st_size > 2_000_000:
                    continue
                data = path.read_bytes()
            except OSError:
                continue
            seen += hashlib.sha256(data).digest()
            words |= set(_WORD.findall(data.decode("utf-8", "replace")))
    return words, seen


def _pyproject_scripts(data: bytes) -> set[str]:
    try:
        project = tomllib.loads(data.decode("utf-8", "replace")).get("project", {})
    except tomllib.TOMLDecodeError:
        return set()
    out: set[str] = set()
    for table in ("scripts", "gui-scripts"):
        for target in (project.get(table) or {}).values():
            if isinstance(target, str):
                out.add(target.partition(":")[0].strip())
    return out


def _repository_root(base: Path) -> Path | None:
    current = base.resolve()
    for candidate in (current, *current.parents):
        if (candidate / "pyproject.toml").is_file() or (candidate / ".git").exists():
            return candidate
    return None


# -- the whole tree -----------------------------------------------------------------------------
@dataclass
class _Module:
    name: str
    relpath: str
    refs: References


class Reachability:
    """Which modules, classes and functions of the tree nothing reaches, and why."""

    def __init__(
        self,
        modules: Iterable[_Module],
        outside: set[str],
        outside_words: set[str],
        entry_points: Iterable[str],
    ) -> None:
        self.modules = {m.name: m for m in modules}
        self.strings: set[str] = set(outside_words)
        self._outside_words = outside_words
        # How many modules quote each word: a module's own strings do not load it by name.
        self._quoted_by: Counter[str] = Counter()
        for m in self.modules.values():
            self.strings |= m.refs.strings
            self._quoted_by.update(m.refs.loads)
        self.entry_modules = {e.rsplit(".", 1)[0] for e in entry_points}
        self.dead_modules = self._dead_modules(outside)
        self.application = self._application(outside)
        self.plugin_host = any(m.refs.plugin_host for m in self.modules.values())
        # A name used only inside unused modules does not keep code alive.
        self.names: set[str] = set(outside_words)
        self.attrs: set[str] = set(outside_words)
        self.registered: set[str] = set()
        for m in self.modules.values():
            if m.name not in self.dead_modules:
                self.names |= m.refs.names
                self.attrs |= m.refs.attrs
                self.registered |= m.refs.registered

    def _dead_modules(self, outside: set[str]) -> dict[str, str]:
        importers: dict[str, set[str]] = {name: set() for name in self.modules}
        for m in self.modules.values():
            for target in m.refs.imported:
                for prefix in _prefixes(target):
                    if prefix in importers and prefix != m.name:
                        importers[prefix].add(m.name)
        outside_hit = {p for target in outside for p in _prefixes(target)}
        candidates = {
            name
            for name, m in self.modules.items()
            if name not in outside_hit and not self._maybe_run(m)
        }
        # Only where the tree's imports show how its packages are used: a module nothing
        # imports beside a sibling (or in a package) that something imports. A tree whose
        # modules nobody imports (scripts, a plugin folder, a fixture) says nothing.
        used_packages = {name.rpartition(".")[0] for name, found in importers.items() if found} | {
            name for name, found in importers.items() if found
        }
        # Packages a run-time loader names (`Path(__file__).parent / "cmd"`, `iter_modules(
        # plugins.__path__)`): their modules are loaded by file name, never imported.
        loader_words: set[str] = set()
        for m in self.modules.values():
            if m.refs.dynamic_loader:
                loader_words.update(m.refs.loader_dirs_text.split("\n"))
        candidates = {name for name in candidates if not set(name.split(".")[1:-1]) & loader_words}
        dead: dict[str, str] = {}
        for name in candidates:
            if not importers[name] and name.rpartition(".")[0] in used_packages:
                dead[name] = f"module `{name}` is imported by nothing in the audited tree"
        changed = True
        while changed:
            changed = False
            for name in candidates:
                if name in dead:
                    continue
                package = name.rpartition(".")[0]
                if importers[name] and importers[name] <= dead.keys():
                    via = ", ".join(f"`{i}`" for i in sorted(importers[name])[:2])
                    dead[name] = f"module `{name}` is imported only by unused {via}"
                    changed = True
                elif not importers[name] and package in dead:
                    # importing `pkg.mod` imports `pkg`: nothing imports anything inside it
                    dead[name] = f"module `{name}` is in package `{package}`, which nothing imports"
                    changed = True
        for name, reason in dead.items():
            if self.modules[name].refs.demo:
                dead[name] = f"{reason} (its `__main__` block only demonstrates it)"
        return dead

    def _application(self, outside: set[str]) -> str | None:
        """Why the tree is an application (nothing outside it imports its public API), or None.

        Structural evidence only, both halves needed: it makes its own application object
        (a Qt application made or subclassed, a Tk root), outside tests and demo blocks; and
        it is started as a program (a `__main__` module or script, console/gui scripts
        declared by its packaging, a script outside the folder that imports it). A library
        that makes a QApplication for its users (`mkQApp`) declares no program."""
        made = sorted(
            (
                name
                for name, m in self.modules.items()
                if m.refs.app and not _test_like(name) and name not in self.dead_modules
            ),
            key=lambda name: (name.count("."), name),
        )
        if not made:
            return None
        started = ""
        mains = sorted(
            (
                name
                for name, m in self.modules.items()
                if not _test_like(name)
                and (
                    name.rpartition(".")[2] == "__main__"
                    or (m.refs.script and not m.refs.demo and name.rpartition(".")[2] != "setup")
                )
            ),
            key=lambda name: (not name.endswith("__main__"), name.count("."), name),
        )
        declared = {"console_scripts", "gui_scripts"} & (
            self._outside_words
            | {
                w
                for name, m in self.modules.items()
                if name.rpartition(".")[2] == "setup"
                for w in m.refs.strings
            }
        )
        inside = {p for target in outside for p in _prefixes(target)} & self.modules.keys()
        if declared:
            started = f"its packaging declares {' and '.join(sorted(declared))}"
        elif mains:
            started = f"`{mains[0]}` runs it"
        elif inside:
            started = "a script outside the audited folder starts it"
        if not started:
            return None
        return f"the tree is an application: `{made[0]}` makes its application object, {started}"

    def whole_program(self, setting: object = None) -> str | None:
        """Whether a public name nothing in the tree uses is unused, and why: the profile's
        `whole_program` wins; else an application's code is (`application`), unless it
        loads plugins through entry-point groups: installed plugins call its API, and its
        own plugins are named only in packaging metadata the audit may not see."""
        if setting is not None:
            return WHOLE_PROGRAM_SETTING if setting else None
        if self.application is None or self.plugin_host:
            return None
        return self.application

    def _maybe_run(self, m: _Module) -> bool:
        """Could the module be run or loaded by name? (a script, a plugin, the top package)"""
        parts = m.name.split(".")
        if (m.refs.script and not m.refs.demo) or parts[-1] in _SCRIPT_NAMES or len(parts) <= 1:
            return True
        if m.name in self.entry_modules or any(
            e.startswith(m.name + ".") for e in self.entry_modules
        ):
            return True
        if parts[-1].startswith("test") or "tests" in parts:
            return True
        last = parts[-1]
        own = m.refs.loads
        return (
            last in self._outside_words
            or self._quoted_by[last] > (last in own)
            or self._quoted_by[m.name] > (m.name in own)
            or self._quoted_by[f"{m.name.rpartition('.')[0]}.*"] > 0
        )

    def used_elsewhere(self, name: str, method: bool = False) -> bool:
        """Named in live code or a string; a method only as an attribute (`obj.name`)."""
        return (
            name in (self.attrs if method else self.names)
            or name in self.strings
            or name in self.registered
        )

    def class_reason(self, name: str, module: str, subclass: bool) -> str | None:
        """Why a class is unreachable. A subclass of another class of the tree is left alone:
        plugin registries find subclasses without naming them (`__subclasses__`, metaclasses)."""
        if module in self.dead_modules:
            return self.dead_modules[module]
        if not subclass and not self.used_elsewhere(name):
            return f"class `{name}` is named nowhere else in the audited tree"
        return None

    def function_reason(
        self, name: str, decorators: tuple[str, ...], method: bool, camel_hooks: bool = True
    ) -> str | None:
        """Why a function or method nobody names is unreachable, else None (its module and
        class are the caller's to check). Decorated functions may be registered; hook-like
        names are called by a framework (camelCase ones only with `camel_hooks`)."""
        if not may_be_unused(name, decorators, method, camel_hooks):
            return None
        if self.used_elsewhere(name, method):
            return None
        if any(name.startswith(prefix) for prefix in self._string_prefixes()):
            return None  # getattr(self, f"_handle_{kind}") style dispatch
        what = "method" if method else "function"
        return f"{what} `{name}` is called or named nowhere else in the audited tree"

    def _string_prefixes(self) -> tuple[str, ...]:
        prefixes = getattr(self, "_prefixes", None)
        if prefixes is None:
            prefixes = tuple(sorted(w for w in self.strings if w.endswith("_") and len(w) >= 3))
            self._prefixes = prefixes
        return prefixes


def may_be_unused(
    name: str, decorators: tuple[str, ...], method: bool, camel_hooks: bool = True
) -> bool:
    """Whether nobody naming a function means nobody calls it: a decorated function may be
    registered, a dunder or hook-like method is called by a framework. `camel_hooks=False`:
    the method's class has no ancestor that calls camelCase names (see `own_camel_case`)."""
    return not (decorators or (method and _maybe_hook(name, camel_hooks)) or name.startswith("__"))


def _maybe_hook(name: str, camel: bool = True) -> bool:
    """Framework hooks are called by name from outside: dunders, camelCase Qt overrides,
    `on_<object>_<signal>` auto-connected slots, visitor/handler conventions, tests."""
    return (
        name.startswith("__")
        or (camel and _camel_case(name))
        or name.startswith(("on_", "visit_", "leave_", "test_", "do_"))
    )


def _camel_case(name: str) -> bool:
    return name[:1].islower() and any(c.isupper() for c in name) and "_" not in name.strip("_")


# What `Reachability.whole_program` answers when the profile decides (reasons need not say).
WHOLE_PROGRAM_SETTING = "[static] whole_program = true"


def _test_like(module: str) -> bool:
    parts = module.split(".")
    return parts[-1].startswith("test") or "tests" in parts or parts[-1] == "conftest"


def _prefixes(dotted: str) -> Iterator[str]:
    parts = dotted.split(".")
    for i in range(1, len(parts) + 1):
        yield ".".join(parts[:i])


def build(
    modules: Iterable[tuple[str, str, References]],
    outside: set[str],
    outside_words: set[str],
    entry_points: Iterable[str],
) -> Reachability:
    return Reachability(
        (_Module(name, relpath, refs) for name, relpath, refs in modules),
        outside,
        outside_words,
        entry_points,
    )


_QT_MODULES = ("PySide6.", "PySide2.", "PyQt6.", "PyQt5.", "qtpy.")


# Qt virtuals a Python subclass overrides whose names are one lowercase word (the rest are
# camelCase): QObject/QWidget/QGraphicsItem events and painting, models, QThread/QRunnable,
# QIODevice, QValidator, QUndoCommand, animations, styles, image handlers, plugins.
_QT_WORD_VIRTUALS = frozenset(
    {
        "event", "paint", "run", "data", "flags", "parent", "index", "sibling", "buddy",
        "sort", "accept", "reject", "done", "open", "close", "reset", "seek", "pos", "size",
        "advance", "shape", "type", "contains", "validate", "fixup", "undo", "redo", "id",
        "duration", "clone", "read", "write", "format", "option", "keys", "create", "polish",
        "unpolish", "interpolated", "transition", "test", "text", "child", "state", "role",
        "rect", "update", "show", "hide", "exec", "timeout", "value", "name", "fetch",
    }
)  # fmt: skip


def qt_helper(qualname: str, bases_of: Mapping[str, tuple[str, ...]], method: str) -> bool:
    """A method Qt cannot call by name on a class whose only outside ancestors are Qt's:
    Qt's virtuals are camelCase or one of a few one-word names, so a snake_case name with an
    underscore, or another lowercase word (`dispatch`), is the tree's own
    (`function_reason` still spares `on_<object>_<signal>`: `connectSlotsByName`)."""
    core = method.strip("_")
    if method.startswith("__") or not core.islower():
        return False
    if "_" not in core and core in _QT_WORD_VIRTUALS:
        return False
    return all(
        _plain(base) or base.startswith(_QT_MODULES)
        for base in _outside_ancestors(qualname, bases_of)
    )


# Frameworks that call camelCase methods of their subclasses by name (Qt is `_QT_MODULES`):
# Twisted's `dataReceived`, unittest's `setUp`, wx, SAX handlers, VTK, PyObjC, pyglet.
_CAMEL_FRAMEWORKS = (
    "twisted.", "unittest.", "wx.", "xml.", "vtk", "OpenGL.", "objc.", "AppKit.",
    "Foundation.", "pyglet.", "java.", "System.",
)  # fmt: skip


def own_camel_case(
    qualname: str,
    bases_of: Mapping[str, tuple[str, ...]],
    method: str,
    children: Mapping[str, list[str]] | None = None,
) -> bool:
    """A camelCase method no framework calls by name: the outside ancestors of its class,
    and of every class of the tree built on it (a mixin's `dropEvent` overrides the
    QWidget's it is mixed into), are builtins or PEP 8 libraries (whose hooks are
    snake_case: `mode.Service.on_start`), not Qt or another camelCase framework. An ancestor
    whose origin is unknown may be either. `children`: `subclasses(bases_of)`, if known."""
    if not _camel_case(method):
        return False
    children = subclasses(bases_of) if children is None else children
    for cls in (qualname, *_descendants(qualname, children)):
        for base in _outside_ancestors(cls, bases_of):
            if _plain(base):
                continue
            if "." not in base or base.startswith((*_QT_MODULES, *_CAMEL_FRAMEWORKS)):
                return False
    return True


def _descendants(qualname: str, children: Mapping[str, list[str]]) -> set[str]:
    """The tree's classes built on `qualname`, at any depth."""
    found: set[str] = set()
    todo = list(children.get(qualname, ()))
    while todo:
        cls = todo.pop()
        if cls not in found:
            found.add(cls)
            todo.extend(children.get(cls, ()))
    return found


def finds_subclasses(
    qualname: str,
    bases_of: Mapping[str, tuple[str, ...]],
    methods_of: Mapping[str, Iterable[str]],
    module_of: Mapping[str, str],
    reach: Reachability,
) -> bool:
    """Whether the tree could find a subclass without naming it: something asks a class for
    its `__subclasses__()`, or one of the class's own ancestors registers subclasses
    (`__init_subclass__`, a metaclass). Without that, a subclass nobody names is unused."""
    if "__subclasses__" in reach.names:
        return True
    todo, seen = list(bases_of.get(qualname, ())), set()
    while todo:
        current = todo.pop()
        if current in seen or current not in bases_of:
            continue
        seen.add(current)
        if "__init_subclass__" in methods_of.get(current, ()):
            return True
        module = reach.modules.get(module_of.get(current, ""))
        if module is not None and "metaclass" in module.refs.names:
            return True
        todo.extend(bases_of[current])
    return False


def subclasses(bases_of: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """The direct subclasses of each class (the inverse of `bases_of`)."""
    children: dict[str, list[str]] = {}
    for cls, bases in bases_of.items():
        for base in bases:
            children.setdefault(base, []).append(cls)
    return children


def plain_bases(qualname: str, bases_of: Mapping[str, tuple[str, ...]]) -> bool:
    """A class whose ancestors are all the tree's own classes or hook-free builtins."""
    return all(_plain(base) for base in _outside_ancestors(qualname, bases_of))


def _plain(base: str) -> bool:
    """`object`, `ABC`, ... or a builtin type (`builtins.object`, `Exception`, `dict`): they
    call no method of a subclass by name but dunders."""
    if base in _PLAIN_BASES:
        return True
    name = base.removeprefix("builtins.")
    return "." not in name and isinstance(getattr(builtins, name, None), type)


def _outside_ancestors(qualname: str, bases_of: Mapping[str, tuple[str, ...]]) -> Iterator[str]:
    """The ancestors of a class that are not the tree's own classes (builtins, libraries)."""
    todo, seen = [qualname], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in bases_of:
            todo.extend(bases_of[current])
        else:
            yield current
