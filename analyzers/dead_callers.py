"""Code whose every use sits inside unreachable code is unreachable too.

`reachability` decides from names alone: a method named anywhere in live code is alive. That
misses the common shape of dead code in a long-lived application: a method called only by
another method nothing calls (`_sample_metrics` called only from `_collection_loop`, which
only `start_background_collection` starts, which nobody calls), or a class made only by a
class nobody makes. A maintainer reads those as dead; ranking them HIGH was judged wrong.

The test stays conservative: a name counts as used only by the functions the project model
saw calling or passing it, and only when that accounts for every mention of the name in
every live module (counted on the syntax tree: names, attributes and identifier strings,
not imports, `__all__` or the name's own `def`/`class`). A mention the model did not
capture (module-level code, an assignment `cb = self._x`, an annotation, a registry dict, a
string) keeps the name alive.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Mapping

from analyzers.project import FunctionInfo, ProjectModel
from analyzers.reachability import _TRIPLE, Reachability, _blank_prose, strip_comments

# A name mentioned in more modules than this is taken as used (each needs a parse to check).
_MAX_MODULES = 6
# Modules parsed per audit to count mentions (~10 ms each); past it, names stay alive.
_MAX_PARSES = 40


class CallerIndex:
    """Who uses a name, when the project model saw every use of it."""

    def __init__(
        self, project: ProjectModel, reach: Reachability, sources: Mapping[str, str]
    ) -> None:
        self._project = project
        self._reach = reach
        self._sources = sources
        self._uses: dict[str, Counter[str]] | None = None  # name -> {caller qualname: uses}
        self._mentions: dict[str, Counter[str] | None] = {}  # relpath -> name counts
        self._live = [  # (relpath, names, attributes) of every module something imports
            (m.relpath, m.refs.names, m.refs.attrs)
            for m in reach.modules.values()
            if m.name not in reach.dead_modules
        ]
        self._live_paths = {relpath for relpath, _, _ in self._live}
        self._answers: dict[tuple[str, bool], list[FunctionInfo] | None] = {}
        self._code: dict[str, str | None] = {}

    def _index(self) -> dict[str, Counter[str]]:
        if self._uses is None:
            uses: dict[str, Counter[str]] = {}
            for fn in self._project.functions.values():
                for call in fn.calls:
                    for ref in (call.target, *call.callables):
                        name = ref.rpartition(".")[2]
                        users = uses.get(name)
                        if users is None:
                            users = uses[name] = Counter()
                        users[fn.qualname] += 1
            self._uses = uses
        return self._uses

    def _code_text(self, relpath: str) -> str | None:
        if relpath not in self._code:
            source = self._sources.get(relpath)
            self._code[relpath] = None if source is None else _code_only(source)
        return self._code[relpath]

    def _mentioned(self, relpath: str) -> Counter[str] | None:
        """How often each name is mentioned in a module's code (None: cannot tell, or the
        audit's parse budget is spent)."""
        if relpath not in self._mentions:
            if len(self._mentions) >= _MAX_PARSES:
                return None
            self._mentions[relpath] = _mentions(self._sources.get(relpath))
        return self._mentions[relpath]

    def only_callers(self, name: str, method: bool = False) -> list[FunctionInfo] | None:
        """The functions that use `name`, when they account for every mention of it in live
        code; None when some mention is elsewhere or nothing uses it. A `method` is
        mentioned only as an attribute (`obj.name`): a bare `name` is another variable."""
        key = (name, method)
        if key not in self._answers:
            self._answers[key] = self._only_callers(name, method)
        return self._answers[key]

    def _only_callers(self, name: str, method: bool) -> list[FunctionInfo] | None:
        if name in self._reach.strings or name in self._reach.registered:
            return None  # looked up by name somewhere (getattr, a registry, a config file)
        callers = self._index().get(name)
        if not callers:
            return None
        functions = self._project.functions
        per_module: Counter[str] = Counter()
        for qualname, count in callers.items():
            per_module[functions[qualname].relpath] += count
        # Every live module that names it, or holds a use of it.
        relevant = [
            relpath for relpath, names, attrs in self._live if name in (attrs if method else names)
        ]
        relevant += [p for p in per_module if p not in relevant and p in self._live_paths]
        if len(relevant) > _MAX_MODULES:
            return None  # a name that common is used live somewhere; not worth the parse
        word = re.compile(rf"\b{re.escape(name)}\b")
        attribute = re.compile(rf"\.\s*{re.escape(name)}\b")
        for relpath in relevant:
            # The code's text (comments, docstrings and imports blanked) mentions it at
            # least as often as the syntax tree does (annotations too): when the counts
            # already agree there is nothing to parse. For a method, only when every
            # mention is an attribute (the model's uses may include a bare `name()`).
            code = self._code_text(relpath)
            if code is None:
                return None
            written = len(word.findall(code)) - len(
                re.findall(rf"\b(?:def|class)\s+{re.escape(name)}\b", code)
            )
            if written == per_module[relpath] and (
                not method or len(attribute.findall(code)) == written
            ):
                continue
            mentioned = self._mentioned(relpath)
            if (
                mentioned is None
                or mentioned[f".{name}" if method else name] != per_module[relpath]
            ):
                return None
        return [functions[q] for q in callers]


_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+\S+[ \t]+)?import[ \t]+(?:\([^)]*\)|[^\n]*)", re.M)


def _code_only(source: str) -> str:
    """The source with docstrings, whole-line comments and import statements blanked."""
    code = _TRIPLE.sub(_blank_prose, strip_comments(source))  # f-strings stay code
    return _IMPORT.sub("", code)


def _mentions(source: str | None) -> Counter[str] | None:
    if source is None:
        return None
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return None
    counts: Counter[str] = Counter()
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        # Annotations name types, they make and call nothing (`def start(self, q: JobQueue)`).
        if isinstance(node, ast.arg):
            continue
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            todo.extend(n for n in ast.iter_child_nodes(node) if n is not node.returns)
            continue
        if isinstance(node, ast.AnnAssign):
            todo.extend(n for n in (node.target, node.value) if n is not None)
            continue
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            continue  # a re-export list names, it does not use
        if isinstance(node, ast.Name):
            counts[node.id] += 1
        elif isinstance(node, ast.Attribute):
            counts[node.attr] += 1
            counts[f".{node.attr}"] += 1  # how a method is named
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value.isidentifier()
        ):
            counts[node.value] += 1
            counts[f".{node.value}"] += 1
        todo.extend(ast.iter_child_nodes(node))
    return counts
