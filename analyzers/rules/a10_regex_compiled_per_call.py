"""CIA1003: a regular expression built from each item of a loop, compiled per item."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._shapes import arg, body_nodes, dotted, enclosing_loop, import_map, source_of

_RE_COMPILES = frozenset({"re.compile", "regex.compile"})
_RE_USES = frozenset(
    f"{module}.{name}"
    for module in ("re", "regex")
    for name in ("match", "search", "fullmatch", "sub", "subn", "findall", "finditer", "split")
)
_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
_LOOPS = (cst.For, cst.While, *_COMPREHENSIONS)
_DISPLAYS = (cst.List, cst.Tuple, cst.Set, cst.Dict)
# `for x in sorted(RULES)` / `RULES.items()` iterate over what their argument or receiver holds.
_PASS_THROUGH = frozenset(
    {"sorted", "reversed", "enumerate", "list", "tuple", "set", "frozenset", "iter"}
)
_VIEWS = frozenset({"items", "keys", "values"})


def _names_in(node: cst.CSTNode) -> set[str]:
    """Variables `node` reads (not attribute names or keyword names)."""
    if isinstance(node, cst.Name):
        return {node.value}
    out: set[str] = set()
    for sub, path in body_nodes(node):
        parent = path[-1]
        if (
            isinstance(sub, cst.Name)
            and not (isinstance(parent, cst.Attribute) and parent.attr is sub)
            and not (isinstance(parent, cst.Arg) and parent.keyword is sub)
        ):
            out.add(sub.value)
    return out


def _target_names(target: cst.CSTNode) -> set[str]:
    """Names a `for` target or assignment target binds (`a, (b, c)` -> a, b, c)."""
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        out: set[str] = set()
        for element in target.elements:
            out |= _target_names(element.value)
        return out
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return set()


def _per_iteration(loop: cst.CSTNode) -> dict[str, cst.BaseExpression | None]:
    """Names bound anew on each iteration of `loop`, with the value assigned (None: the target).

    A comprehension binds its `for` targets; a `for` its target and whatever its body
    assigns; a `while` whatever its body assigns.
    """
    out: dict[str, cst.BaseExpression | None] = {}
    if isinstance(loop, _COMPREHENSIONS):
        comp: cst.CompFor | None = loop.for_in
        while comp is not None:
            out.update(dict.fromkeys(_target_names(comp.target)))
            comp = comp.inner_for_in
        return out
    if isinstance(loop, cst.For):
        out.update(dict.fromkeys(_target_names(loop.target)))
    for sub, _ in body_nodes(loop.body):
        if isinstance(sub, cst.Assign):
            for target in sub.targets:
                for name in _target_names(target.target):
                    out[name] = sub.value if isinstance(target.target, cst.Name) else None
        elif isinstance(sub, (cst.AnnAssign, cst.AugAssign)):
            for name in _target_names(sub.target):
                out[name] = None
        elif isinstance(sub, (cst.For, cst.NamedExpr)):
            out.update(dict.fromkeys(_target_names(sub.target)))
    return out


def _builds_text(expr: cst.BaseExpression | None) -> bool:
    """An f-string, concatenation, `%`, `.format()`, `.join()` or `re.escape()`: new text."""
    return isinstance(expr, (cst.FormattedString, cst.BinaryOperation, cst.Call))


def _literal_display(expr: cst.BaseExpression | None) -> bool:
    """`(...)`, `[...]`, `{...}` or `frozenset({...})`: a fixed number of entries in the source."""
    if isinstance(expr, _DISPLAYS):
        return True
    return (
        isinstance(expr, cst.Call)
        and isinstance(expr.func, cst.Name)
        and expr.func.value in _PASS_THROUGH
        and len(expr.args) == 1
        and isinstance(expr.args[0].value, _DISPLAYS)
    )


class RegexCompiledPerCall(Rule):
    """A new pattern per item compiles per item, and floods `re`'s cache."""

    ID = "CIA1003"
    AREA = 10
    TITLE = "Regex pattern built from each item of a loop (compiled per item)"
    RATIONALE = (
        "`re` keeps compiled patterns in a 512-entry cache, so a constant pattern written "
        "inside a function costs a dictionary lookup, not a compile. A pattern built from "
        "each item of a loop (`rf'\\b{name}\\b'` per node, per keyword) is a different "
        "pattern per item: each one is compiled, and once the items outnumber the cache, "
        "every pass compiles all of them again, and evicts everyone else's patterns too."
    )
    IMPACT = 2
    FREQUENCY = 6
    DIFFICULTY = 2
    RECOMMENDATION = (
        "Compile the per-item patterns once, when the collection changes (a list or dict "
        "of compiled patterns kept next to the items), or match all items with one "
        "alternation compiled once (`'|'.join(map(re.escape, names))`)."
    )
    EXAMPLE_BEFORE = """\
def highlight(self, text):
    for name in self.variable_names:
        text = re.sub(rf"\\b{re.escape(name)}\\b", f"<b>{name}</b>", text)
"""
    EXAMPLE_AFTER = """\
def set_variable_names(self, names):
    self._names = re.compile(r"\\b(" + "|".join(map(re.escape, names)) + r")\\b")

def highlight(self, text):
    return self._names.sub(r"<b>\\1</b>", text)
"""
    TAGS = ("cpu", "caching", "per-call")
    TRIGGERS = ("import re", "from re ", "import regex")
    VALID = (
        Valid(
            """\
            import re
            _P = re.compile(r"\\d+")
            def f(text):
                return _P.findall(text)
            """
        ),
        # A constant pattern inside a function is a lookup in re's cache, not a compile:
        # at most a style point, even when the function runs per request.
        Valid(
            """\
            import re
            def handle_cover(self, path):
                m = re.compile(r"/songs/(\\S+)/cover/data").match(path)
                return m.group(1) if m else None
            """
        ),
        Valid(
            """\
            import re
            def comment_lines(lines):
                return [l for l in lines if re.match(r"^#", l)]
            """
        ),
        # A pattern that is the same on every call (built from constants) hits the cache.
        Valid(
            """\
            import re
            KINDS = {"song": "songs", "album": "albums"}
            def parse(uri):
                return re.match(r"^app://({})/(\\w+)".format("|".join(KINDS.values())), uri)
            """
        ),
        # User text compiled once per call: that compile is the work the call asks for.
        Valid(
            """\
            import re
            def find(self, needle):
                regex = re.compile(needle)
                return [k for k in self.entries if regex.search(k)]
            """
        ),
        # Per item, but over a fixed table written in the source: at most that many patterns.
        Valid(
            """\
            import re
            class Policy:
                rules = (("newest", ">"), ("oldest", "<"))
                @classmethod
                def parse(cls, source):
                    for name, arrow in cls.rules:
                        m = re.compile(rf"(\\w+){arrow}").match(source)
                        if m:
                            return name, m.group(1)
            """
        ),
        Valid(
            """\
            import re
            from .keywords import SQL_KEYWORDS
            def dangerous(value):
                return [k for k in SQL_KEYWORDS if re.search(rf"\\b{re.escape(k)}\\b", value)]
            """
        ),
        # Compiled once per topic, then used across the whole inner loop: amortised.
        Valid(
            """\
            import re
            def subscribe(self, topics):
                for topic in topics:
                    p = re.compile(rf"{topic}")
                    for name in self.gateway.topics:
                        if p.fullmatch(name):
                            self.matched.append(name)
            """
        ),
        # Compiling per item into a list kept for later is the fix, not the defect.
        Valid(
            """\
            import re
            def set_keywords(self, words):
                self._patterns = [re.compile(rf"\\b{re.escape(w)}\\b") for w in words]
            """
        ),
        Valid(
            """\
            import re
            def index(self, names):
                for name in names:
                    pattern = re.compile(re.escape(name) + r"\\d*")
                    if pattern.search(self.text):
                        self._found[name] = pattern
            """
        ),
        # The pattern varies per word, not per line: one compile per word, cache hits inside.
        Valid(
            """\
            import re
            def grep(lines, words):
                for word in words:
                    for line in lines:
                        if re.search(rf"\\b{word}\\b", line):
                            yield line
            """
        ),
        # Patterns taken as they are from a table hit the cache; only built text floods it.
        Valid(
            """\
            import re
            def route(self, path):
                for pattern, handler in self.routes:
                    if re.match(pattern, path):
                        return handler
            """
        ),
    )
    INVALID = (
        Invalid(
            """\
            import re
            def highlight(self, text):
                for name in self.variable_names:
                    text = re.sub(rf"\\b{re.escape(name)}\\b", f"<b>{name}</b>", text)
                return text
            """,
            line=4,
            message_contains="self.variable_names",
        ),
        Invalid(
            """\
            import re as regex_mod
            def referencing(nodes, text):
                return [n for n in nodes if regex_mod.search(r"\\{\\{" + n.name + r"\\}\\}", text)]
            """,
            line=3,
            message_contains="`n`",
        ),
        Invalid(
            """\
            import re
            def mentions(self, text):
                hits = []
                for user in self.users:
                    pattern = "@" + re.escape(user.handle) + r"\\b"
                    if re.compile(pattern, re.I).search(text):
                        hits.append(user)
                return hits
            """,
            line=6,
        ),
    )

    @classmethod
    def wants(cls, source: str) -> bool:
        # A loop and an re call whose pattern can be built per item. Ruled out by text: no
        # argument (`str.split()`), a pattern written as one plain string literal (the usual
        # case), a bare name nothing in the file assigns (a parameter or a loop target).
        # Bare calls count too (`from re import sub`).
        if not super().wants(source) or re.search(r"\b(?:for|while)\b", source) is None:
            return False
        for call in re.finditer(
            r"\b(?:compile|fullmatch|match|search|subn?|findall|finditer|split)\s*\(\s*",
            source,
        ):
            rest = source[call.end() : call.end() + 400]
            if rest.startswith(")") or re.match(
                r"""[rRbBuU]{0,2}(?:"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')\s*[,)]""", rest
            ):
                continue
            name = re.match(r"([A-Za-z_]\w*)\s*[,)]", rest)
            if name and not re.search(rf"\b{name.group(1)}[ \t]*=(?!=)", source):
                continue
            return True
        return False

    def visit_Module(self, node: cst.Module) -> None:
        self._imports = import_map(node)
        self._constants = _fixed_names(node.body)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value == "__init__":
            return  # runs once per object
        for sub, ancestors in body_nodes(node):
            if not isinstance(sub, cst.Call):
                continue
            qualified = self._imports.qualify(sub.func)
            if qualified not in _RE_COMPILES and qualified not in _RE_USES:
                continue
            message = self._per_item(sub, ancestors, qualified in _RE_COMPILES)
            if message:
                self.report(sub, message)
                return

    def _per_item(self, call: cst.Call, ancestors: tuple[cst.CSTNode, ...], compiles: bool) -> str:
        loop = enclosing_loop(call, ancestors, comprehensions=True)
        if isinstance(loop, cst.CompFor):  # in a comprehension's `if`: that comprehension
            loop = next((a for a in reversed(ancestors) if isinstance(a, _COMPREHENSIONS)), None)
        if loop is None or self._fixed_iterable(loop):
            return ""
        pattern = arg(call, 0, "pattern")
        fresh = _per_iteration(loop)
        if isinstance(pattern, cst.Name) and fresh.get(pattern.value) is not None:
            pattern = fresh[pattern.value]  # `p = "@" + name; re.search(p, text)`
        if not _builds_text(pattern):
            return ""
        varying = sorted(_names_in(pattern) & fresh.keys())
        if not varying:
            return ""  # the same text on every iteration: a cache hit
        if compiles and not self._used_at_once(call, ancestors, loop):
            return ""
        items = _iterable(loop)
        over = f"of `{items}`" if items else "of the loop"
        return (
            f"`{source_of(call, 50)}` builds a new pattern from `{varying[0]}` for each item "
            f"{over}: one compile per distinct item, and past re's 512-entry cache every pass "
            "compiles them all again; compile them once when the items change."
        )

    def _fixed_iterable(self, loop: cst.CSTNode) -> bool:
        """The loop walks a table written in the source: its patterns fit in the cache."""
        if isinstance(loop, cst.For):
            it: cst.BaseExpression | None = loop.iter
        elif isinstance(loop, _COMPREHENSIONS):
            it = loop.for_in.iter
        else:
            return False
        while isinstance(it, cst.Call):
            if isinstance(it.func, cst.Attribute) and it.func.attr.value in _VIEWS:
                it = it.func.value
            elif isinstance(it.func, cst.Name) and it.func.value in _PASS_THROUGH and it.args:
                it = it.args[0].value
            else:
                break
        if _literal_display(it):
            return True
        name = dotted(it)
        if not name or "()" in name:
            return False
        last = name.rsplit(".", 1)[-1]
        return last in self._constants or (last.isupper() and len(last) > 1)

    @staticmethod
    def _used_at_once(
        call: cst.Call, ancestors: tuple[cst.CSTNode, ...], loop: cst.CSTNode
    ) -> bool:
        """`re.compile(p).search(x)` or `c = re.compile(p)` then `c.search(x)` once per item.

        A compiled pattern kept (stored in a list or dict, returned, yielded) or reused
        across an inner loop is the fix or an amortised cost, not a compile per use.
        """
        parent = ancestors[-1] if ancestors else None
        if isinstance(parent, cst.Attribute):
            return True
        if not (
            isinstance(parent, cst.Assign)
            and len(parent.targets) == 1
            and isinstance(parent.targets[0].target, cst.Name)
        ):
            return False
        name = parent.targets[0].target.value
        body = loop.body if isinstance(loop, (cst.For, cst.While)) else loop
        used = False
        for sub, path in body_nodes(body):
            if not (isinstance(sub, cst.Name) and sub.value == name):
                continue
            holder = path[-1] if path else None
            if not (isinstance(holder, cst.Attribute) and holder.value is sub):
                return False  # passed on or stored: kept beyond this item
            if any(isinstance(p, _LOOPS) for p in path[1:]):
                return False  # reused across an inner loop
            used = True
        return used


def _iterable(loop: cst.CSTNode) -> str:
    if isinstance(loop, cst.For):
        return source_of(loop.iter, 40)
    if isinstance(loop, _COMPREHENSIONS):
        return source_of(loop.for_in.iter, 40)
    return ""


def _fixed_names(body: object) -> set[str]:
    """Module and class-body names assigned a literal table (`RULES = (...)`)."""
    out: set[str] = set()
    for stmt in body if isinstance(body, (list, tuple)) else ():
        if isinstance(stmt, cst.ClassDef) and isinstance(stmt.body, cst.IndentedBlock):
            out |= _fixed_names(stmt.body.body)
        elif isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                value = getattr(small, "value", None)
                if isinstance(small, (cst.Assign, cst.AnnAssign)) and _literal_display(value):
                    targets = (
                        [t.target for t in small.targets]
                        if isinstance(small, cst.Assign)
                        else [small.target]
                    )
                    out.update(t.value for t in targets if isinstance(t, cst.Name))
    return out
