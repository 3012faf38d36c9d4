"""CIA402: a signal connected in a method that runs more than once, never disconnected."""

from __future__ import annotations

import re

import libcst as cst

from analyzers.findings import Finding
from analyzers.project import QT_PACKAGES, CallSite, FunctionInfo, ProjectModel
from analyzers.reachability import may_be_unused
from analyzers.rule import Invalid, Rule, Valid
from analyzers.rules._containers import uncalled_method
from analyzers.rules._shapes import body_nodes, call_name, dotted, methods_of

# Methods that by name run once per object: connecting there is the normal pattern.
# (`showEvent` is not one of them: it runs each time the widget is shown.) A framework's
# set-up hook spelled as an event (`on_initialize`, `on_setup`) is one too, but only the bare
# verb: `on_create_clicked` or `on_connect` (each reconnect) are handlers that repeat.
# `self.<attr>...<signal>.connect(`: the only connects the rule reports (see `wants`).
_SELF_SENDER_CONNECT = re.compile(r"\bself\.\w+(?:\.\w+)*\.connect\(")
_ONCE = re.compile(
    r"^(__init__|__post_init__|__attrs_post_init__|_?(setup|set_up|init|initialize|create|build|connect|wire|"
    r"install|construct|make|register|attach)\w*|"
    r"_?on_?(setup|set_up|init|initiali[sz]e|build|construct|install)|main)$",
    re.IGNORECASE,
)

# Methods that add one more item to a collection the object keeps (`add_page`, `addTab`,
# `append_row`): connecting the item handed in is one connection per item, by design.
_ADDS_ITEM = re.compile(r"^_?(add|append|insert)(_|[A-Z]|$)")
# An attribute naming one operation's object (`self.update_task`, `self._reply`): when the
# class rebinds it from a call outside set-up, each operation gets a new sender.
_PER_OPERATION = re.compile(r"(task|worker|job|reply|future|request|runnable)$", re.I)


# A decorator that registers the method as a one-time lifecycle callback, given what to wait
# for (`@on_plugin_available(plugin=...)`, `@on_app_ready(app)`): the framework calls it once,
# when that thing comes up. A change handler (`@on_trait_change("x")`) is not one.
_LIFECYCLE_DECORATOR = re.compile(r"^on_\w*(available|ready|startup)$")


# Signals every Qt widget/object class has built in: `button.clicked` is a Qt signal even when
# the button's class cannot be resolved. Generic words (`changed`, `error`) are left out.
_QT_BUILTIN_SIGNALS = frozenset(
    {
        "aboutToHide",
        "aboutToShow",
        "accepted",
        "activated",
        "clicked",
        "currentChanged",
        "currentIndexChanged",
        "currentItemChanged",
        "currentRowChanged",
        "currentTextChanged",
        "customContextMenuRequested",
        "dataChanged",
        "dateChanged",
        "destroyed",
        "doubleClicked",
        "editingFinished",
        "entered",
        "finished",
        "hovered",
        "itemActivated",
        "itemChanged",
        "itemClicked",
        "itemDoubleClicked",
        "itemSelectionChanged",
        "layoutChanged",
        "linkActivated",
        "linkHovered",
        "modelReset",
        "pressed",
        "rejected",
        "released",
        "returnPressed",
        "rowsInserted",
        "rowsRemoved",
        "sectionClicked",
        "selectionChanged",
        "sliderMoved",
        "sliderReleased",
        "started",
        "stateChanged",
        "tabCloseRequested",
        "textChanged",
        "textEdited",
        "timeout",
        "toggled",
        "triggered",
        "valueChanged",
        "visibilityChanged",
    }
)


# Constructors of a signal/event object of some other library or of the project itself.
_SIGNAL_LIKE = re.compile(r"signal|event|emitter|hook|observable|dispatch", re.IGNORECASE)


def _is_qt_type(qualname: str) -> bool:
    return qualname.split(".", 1)[0] in QT_PACKAGES


def _qt_signal(project: ProjectModel, fn: FunctionInfo, signal: str) -> bool:
    """Whether `self.<...>.<name>` can be shown to be a Qt signal.

    Qt keeps one connection per `connect`; a project's own `Signal` class may dedupe or hold
    weak references, and then connecting again adds nothing. So the sender's type decides:
    a Qt signal declared on its class, a Qt class's built-in signal, an attribute of a Qt
    object. An attribute the class creates with a constructor in a method (`self.seeked =
    Signal()`) is never a Qt signal: those are class attributes. When the sender's type is
    unknown, the name decides: declared as a Qt signal somewhere in the project and never
    bound per object to a signal-like object, or a Qt built-in signal in a module that
    imports Qt and that no project class binds per object either.
    """
    parts = signal.split(".")
    name = parts[-1]
    owners = _owner_types(project, fn.cls or None, parts[1:-1])
    if owners:
        return all(_qt_signal_of(project, owner, name) for owner in owners)
    declared = project.memo("CIA402.signal_names", lambda: _signal_names(project))
    if name in declared["instance"]:
        return False
    if name in declared["qt"]:
        return True
    summary = project.by_path.get(fn.relpath)
    return name in _QT_BUILTIN_SIGNALS and bool(summary and summary.uses_qt)


def _project_class(project: ProjectModel, qualname: str) -> str:
    """The class a package re-exports (`pkg.widgets.PlusButton` imported in the package's
    `__init__` from `pkg.widgets.buttons`), else `qualname` unchanged."""
    for _ in range(3):
        if qualname in project.classes:
            break
        module, _, name = qualname.rpartition(".")
        summary = project.modules.get(module)
        target = summary.imports.get(name) if summary is not None else None
        if not target or target == qualname:
            break
        qualname = target
    return qualname


def _qt_signal_of(project: ProjectModel, owner: str, name: str) -> bool:
    if owner not in project.classes:
        return _is_qt_type(owner)
    if project.signal_payload(owner, name) is not None:
        return True
    if project.attr_type(owner, name) is not None:
        return False
    return project.is_qt_class(owner) and name in _QT_BUILTIN_SIGNALS


def _owner_types(project: ProjectModel, owner: str | None, attrs: list[str]) -> set[str]:
    """The possible classes of `<owner>.<attrs...>`; empty when any of them is unknown.

    A hop whose type the summaries do not know (a parameter, a module-level alias such as
    `LVC = ListViewContainer`) is bridged by the next attribute's name: the project classes
    that create an attribute of that name (`self.create_btn = PlusButton()`) are the
    candidates, and all of them must be known.
    """
    if owner is not None:
        owner = _project_class(project, owner)
    if owner is not None and owner not in project.classes and "." not in owner:
        owner = None  # a name the summary could not resolve
    if not attrs:
        return {owner} if owner else set()
    if owner is None:
        index = project.memo("CIA402.attr_owners", lambda: _attr_owners(project))
        out: set[str] = set()
        for candidate in index.get(attrs[0], ()):
            found = _owner_types(project, candidate, attrs)
            if not found:
                return set()
            out |= found
        return out
    if owner not in project.classes:
        return set()  # an attribute of another library's object
    return _owner_types(project, project.attr_type(owner, attrs[0]), attrs[1:])


def _attr_owners(project: ProjectModel) -> dict[str, list[str]]:
    """Attribute name -> the project classes that bind `self.<name>` to a known type."""
    index: dict[str, list[str]] = {}
    for klass in project.classes.values():
        for attr in klass.attr_types:
            index.setdefault(attr, []).append(klass.qualname)
    return index


def _signal_names(project: ProjectModel) -> dict[str, frozenset[str]]:
    """Names declared as Qt signals, and names some class binds per object to a non-Qt
    signal-like object (`self.seeked = Signal()`), across the project."""
    qt = {name for klass in project.classes.values() for name in klass.signals}
    instance = {
        name
        for klass in project.classes.values()
        for name, ctor in klass.attr_types.items()
        if not _is_qt_type(ctor) and _SIGNAL_LIKE.search(ctor.rsplit(".", 1)[-1])
    }
    return {"qt": frozenset(qt), "instance": frozenset(instance)}


def _runs_once_per_object(
    project: ProjectModel, method: FunctionInfo, _seen: frozenset[str] = frozenset()
) -> str | None:
    """Why `method` runs once per object, else None.

    It does when every call that may reach it calls it on an object the caller has just
    created (`view = SongView(); view.show_song(song)`, `page = page_class(parent);
    page.on_ready()`, or `self._thread = Worker(); self._thread.start()`), or on `self` from
    the class's own set-up code or from a method that itself runs once per object.
    Connecting there is set-up like `__init__`: one connection per object. Any other
    reference (a call on an object of unknown type, a call in a loop, the method handed over
    as a callback) means it may run again on the same object.
    """
    if not method.cls or method.qualname in project.gui_functions or len(_seen) > 3:
        return None
    seen = _seen | {method.qualname}
    found = ""
    for fn, call, ref, handed in _references(project, method.name):
        verdict = _fresh_call(project, method, fn, call, ref, handed, seen)
        if verdict is None:
            continue  # another class's method of the same name
        if not verdict:
            return None
        found = found or fn.name
    return f"runs once per object (called from `{found}`)" if found else None


def _never_called(project: ProjectModel, method: FunctionInfo) -> bool:
    """Whether no call, callback or quoted name in the project can reach `method`: every
    reference to its name is another class's method (`PrefsDialog(app).async_exec()`)."""
    if not method.cls or not may_be_unused(method.name, method.decorators, method=True):
        return False
    if uncalled_method(project, method.relpath, method.line, method.cls):
        return True
    strings = project.memo("CIA402.strings", lambda: _quoted_words(project))
    if strings is None or method.name in strings:
        return False
    # The name is spelled somewhere; with no call we can place (`Dialog().exec_later()` is
    # none), it may be this method's.
    refs = _references(project, method.name)
    return bool(refs) and all(_other_class_call(project, method, fn, ref) for fn, _, ref, _ in refs)


def _other_class_call(
    project: ProjectModel, method: FunctionInfo, fn: FunctionInfo, ref: str
) -> bool:
    """Whether `ref` (`x.<name>`) is known to call another class's method: `x`'s type is
    known (self, a typed attribute, a local built by a constructor or a class's own
    factory, a class) and is not `method`'s class family. An unknown type may be anything."""
    receiver = ref.rpartition(".")[0]
    if receiver in ("self", "cls"):
        rtype = fn.cls or None
    elif receiver.startswith("self.") and receiver.count(".") == 1 and fn.cls:
        rtype = project.attr_type(fn.cls, receiver[5:])
    elif "." not in receiver:
        rtype = fn.local_types.get(receiver)
    else:
        rtype = receiver if receiver in project.classes else None
    if rtype is None:
        return False
    rtype = _project_class(project, rtype)
    if rtype in project.functions:
        rtype = _factory_class(project, rtype)
    if rtype is None or rtype.startswith(("self.", "cls.")):
        return False
    if rtype not in project.classes:
        return "." in rtype  # another library's object
    if rtype in _family(project, method.cls) or method.cls in _ancestors(project, rtype):
        return False
    target = project.method(rtype, method.name)
    return target is not None and target.qualname != method.qualname


def _quoted_words(project: ProjectModel) -> frozenset[str] | None:
    """Identifiers any module spells inside a string (`getattr(obj, "exec_later")`)."""
    words: set[str] = set()
    for summary in project.modules.values():
        if summary.references is None:
            return None
        words.update(summary.references.strings_text.split("\n"))
    return frozenset(words)


def _references(project: ProjectModel, name: str) -> list[tuple[FunctionInfo, CallSite, str, bool]]:
    """(function, call, `x.name` as written, handed over as an argument) across the project.

    Scanned per name (a finding asks about one or two methods), not indexed for all names:
    the whole index costs most of a second on a 1,000-file tree."""
    return project.memo(f"CIA402.refs:{name}", lambda: _method_refs(project, "." + name))


def _method_refs(
    project: ProjectModel, suffix: str
) -> list[tuple[FunctionInfo, CallSite, str, bool]]:
    out: list[tuple[FunctionInfo, CallSite, str, bool]] = []
    for fn in project.functions.values():
        for call in fn.calls:
            if call.target.endswith(suffix):
                out.append((fn, call, call.target, False))
            out.extend((fn, call, ref, True) for ref in call.callables if ref.endswith(suffix))
    return out


def _fresh_call(
    project: ProjectModel,
    method: FunctionInfo,
    fn: FunctionInfo,
    call: CallSite,
    ref: str,
    handed: bool,
    seen: frozenset[str],
) -> bool | None:
    """True: a call on a just-created object (or on self from code that runs once per
    object); False: a call that may repeat on the same object; None: a call of some other
    class's method."""
    receiver = ref.rpartition(".")[0]
    fresh = False
    if receiver in ("self", "cls"):
        rtype = fn.cls or None
    elif receiver.startswith("self.") and receiver.count(".") == 1 and fn.cls:
        rtype = project.attr_type(fn.cls, receiver[5:])
        # `self._thread = Worker(...)` earlier in the same function.
        fresh = rtype is not None and any(
            c.target == rtype and c.line < call.line for c in fn.calls
        )
    elif "." not in receiver and receiver in fn.local_types:
        rtype, fresh = fn.local_types[receiver], True
    elif receiver in project.classes:
        rtype = receiver  # `Base.method(self)`
    else:
        rtype = None
    if rtype is not None:
        rtype = _project_class(project, rtype)
        if rtype in project.functions or rtype.startswith(("self.", "cls.")):
            # What a factory returns: unknown, maybe not new; unless it is a class's own
            # factory building a new object (`view = View(); return cls(view, model)`).
            made = _factory_class(project, rtype)
            rtype, fresh = (made, fresh) if made else (None, False)
        elif rtype not in project.classes and "." in rtype:
            return None  # another library's object
    if rtype is not None and rtype in project.classes:
        target = project.method(rtype, method.name)
        # `self.prepare()` in a base class's __init__ runs the subclass's override.
        overridden = receiver in ("self", "cls") and rtype in _ancestors(project, method.cls)
        if (target is None or target.qualname != method.qualname) and not overridden:
            return None
    # `page = page_class(parent)`: a class held in a variable, called: a new object.
    if rtype is None and _unrelated_call(project, fn, method):
        return None
    if handed or rtype is None:
        return False
    if fresh:
        # In a loop, only an object created in the same loop is new on each pass.
        return not call.in_loop or any(
            c.target == fn.local_types.get(receiver) and c.loop_line == call.loop_line
            for c in fn.calls
            if c.line <= call.line
        )
    if call.in_loop:
        return False
    if receiver not in ("self", "cls") or fn.qualname in seen:
        return False
    return (
        project.once_reason(fn.qualname) is not None
        or _runs_once_per_object(project, fn, seen) is not None
    )


# A classmethod by this name may hand out one shared object (a singleton getter).
_SHARED_FACTORY = re.compile(r"instance|shared|singleton|default|current|^get", re.IGNORECASE)


def _factory_class(project: ProjectModel, qualname: str, depth: int = 0) -> str | None:
    """The class whose new object the classmethod `qualname` builds (`obj = cls(...)`, or
    `obj = cls.create(...)` of another such factory), else None."""
    fn = project.functions.get(qualname)
    if (
        fn is None
        or not fn.cls
        or depth > 2
        or _SHARED_FACTORY.search(fn.name)
        or not any(d.rsplit(".", 1)[-1] == "classmethod" for d in fn.decorators)
    ):
        return None
    for ctor in fn.local_types.values():
        if ctor in ("cls", fn.cls):
            return fn.cls
        if ctor.startswith("cls.") and ctor.count(".") == 1:
            inner = project.method(fn.cls, ctor[4:])
            if inner is not None and _factory_class(project, inner.qualname, depth + 1):
                return fn.cls
    return None


def _unrelated_call(project: ProjectModel, fn: FunctionInfo, method: FunctionInfo) -> bool:
    """Whether a call of `x.<name>()` on an object of unknown type in `fn` is some other
    class's method: the name is common (other project classes define it too: `start`,
    `run`, `show`) and `fn`'s module never names this class, a project base or a project
    subclass of it, so it can hold one only through a hand-off. A name only this class
    family defines is taken to mean this class wherever it is called."""
    family = project.memo(f"CIA402.family:{method.cls}", lambda: _family(project, method.cls))
    definers = project.memo(f"CIA402.definers:{method.name}", lambda: _definers(project, method))
    if not definers - family:
        return False
    return not _sees_class(project, fn, family)


def _definers(project: ProjectModel, method: FunctionInfo) -> frozenset[str]:
    """The project classes that define a method of that name."""
    return frozenset(q for q, klass in project.classes.items() if method.name in klass.methods)


def _sees_class(project: ProjectModel, fn: FunctionInfo, names: frozenset[str]) -> bool:
    """Whether `fn`'s module defines, imports or spells one of the classes `names`."""
    summary = project.modules.get(fn.module)
    refs = getattr(summary, "references", None)
    if summary is None or refs is None:
        return True
    if any(project.classes[q].module == fn.module for q in names if q in project.classes):
        return True
    short = {q.rsplit(".", 1)[-1] for q in names}
    imported = {full.rsplit(".", 1)[-1] for full in summary.imports.values()}
    return bool(short & (imported | refs.names))


def _family(project: ProjectModel, class_qualname: str) -> frozenset[str]:
    """The class, its project bases and its project subclasses (qualified names)."""
    family = _ancestors(project, class_qualname)
    family |= {q for q in project.classes if class_qualname in _ancestors(project, q)}
    return frozenset(family)


def _ancestors(project: ProjectModel, class_qualname: str) -> set[str]:
    """The class and its project bases, transitively."""
    out: set[str] = set()
    todo = [class_qualname]
    while todo:
        current = todo.pop()
        klass = project.classes.get(current)
        if klass is None or current in out:
            continue
        out.add(current)
        todo.extend(klass.bases)
    return out


def _param_names(func: cst.FunctionDef) -> set[str]:
    params = func.params
    every = (*params.posonly_params, *params.params, *params.kwonly_params)
    return {p.name.value for p in every} - {"self", "cls"}


def _lifecycle_hook(func: cst.FunctionDef) -> bool:
    """Whether a lifecycle decorator with arguments registers `func` to run once."""
    return any(
        isinstance(d.decorator, cst.Call)
        and bool(d.decorator.args)
        and bool(_LIFECYCLE_DECORATOR.match(call_name(d.decorator)))
        for d in func.decorators
    )


def _guarded_params(func: cst.FunctionDef) -> set[str]:
    """Parameters the method returns early for when they are the object it already holds
    (`if self._panel is panel: return`): it never connects twice to the same one."""
    out: set[str] = set()
    body = func.body.body if isinstance(func.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.If) or not isinstance(stmt.test, cst.Comparison):
            continue
        test = stmt.test
        if len(test.comparisons) != 1 or not isinstance(
            test.comparisons[0].operator, (cst.Is, cst.Equal)
        ):
            continue
        inner = stmt.body.body  # statements of a block, or small statements after the colon
        returns = any(
            isinstance(line, cst.SimpleStatementLine)
            and any(isinstance(small, cst.Return) for small in line.body)
            for line in inner
        ) or any(isinstance(small, cst.Return) for small in inner)
        sides = {dotted(test.left), dotted(test.comparisons[0].comparator)}
        names = {side for side in sides if side and "." not in side}
        if returns and names and any(side and side.startswith("self.") for side in sides):
            out |= names
    return out


def _assigned_self_attrs(func: cst.FunctionDef) -> set[str]:
    """`self.X` attributes (re)bound in the function: a fresh object has no old connections."""
    out: set[str] = set()
    for node, _ in body_nodes(func):
        targets: list[cst.BaseExpression] = []
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, (cst.AnnAssign, cst.AugAssign)):
            targets = [node.target]
        for t in targets:
            name = dotted(t)
            if name and name.startswith("self."):
                out.add(name.split(".")[1])
    return out


def _replaced_self_attrs(func: cst.FunctionDef) -> set[str]:
    """`self.X` attributes the function replaces with a new object whose predecessor dies:
    built with no arguments (no parent keeps the old one alive once the reference drops), or
    the old one retired first (`self.X.setParent(None)`, `self.X.deleteLater()`,
    `sip.delete(self.X)`, `del self.X`). A connection to the old one dies with it. One built
    with arguments and never retired may live on as a child of its parent, still connected.
    """
    built: dict[str, bool] = {}  # attribute -> built without arguments
    retired: set[str] = set()
    for node, _ in body_nodes(func):
        if isinstance(node, cst.Assign) and isinstance(node.value, cst.Call):
            for t in node.targets:
                name = dotted(t.target)
                if name and name.startswith("self.") and name.count(".") == 1:
                    built[name[5:]] = built.get(name[5:], True) and not node.value.args
        elif isinstance(node, cst.Del):
            name = dotted(node.target)
            if name and name.startswith("self.") and name.count(".") == 1:
                retired.add(name[5:])
        elif isinstance(node, cst.Call):
            called = call_name(node)
            func_of = node.func.value if isinstance(node.func, cst.Attribute) else None
            if called in ("deleteLater", "setParent") and func_of is not None:
                name = dotted(func_of)
                none = called == "deleteLater" or (
                    len(node.args) == 1 and dotted(node.args[0].value) == "None"
                )
                if name and name.startswith("self.") and name.count(".") == 1 and none:
                    retired.add(name[5:])
            elif called == "delete" and len(node.args) == 1:
                name = dotted(node.args[0].value)
                if name and name.startswith("self.") and name.count(".") == 1:
                    retired.add(name[5:])
    return {attr for attr, bare in built.items() if bare or attr in retired}


def _setup_calls(
    func: cst.FunctionDef, methods: dict[str, cst.FunctionDef], name: str
) -> dict[int, set[str]]:
    """`self.<helper>()` statements of the method's own body (not under an `if` or a loop),
    by id of the call -> the `self.X` the helper always binds to a new object.

    `self._fade_setup(); self.anim.finished.connect(...)` where `_fade_setup` does
    `self.anim = QPropertyAnimation(...)`: the sender is new on every call, as if the method
    had built it itself. One level deep, helpers of the same class only.
    """
    out: dict[int, set[str]] = {}
    body = func.body.body if isinstance(func.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            call = small.value if isinstance(small, cst.Expr) else None
            if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Attribute):
                continue
            helper = call.func.attr.value
            if dotted(call.func.value) != "self" or helper == name or helper not in methods:
                continue
            built = _built_unconditionally(methods[helper])
            if built:
                out[id(call)] = built
    return out


def _built_unconditionally(func: cst.FunctionDef) -> set[str]:
    """`self.X = <call>(...)` statements of the function's own body (not under an `if`)."""
    out: set[str] = set()
    body = func.body.body if isinstance(func.body, cst.IndentedBlock) else ()
    for stmt in body:
        if not isinstance(stmt, cst.SimpleStatementLine):
            continue
        for small in stmt.body:
            if isinstance(small, cst.Assign) and isinstance(small.value, cst.Call):
                for t in small.targets:
                    target = dotted(t.target)
                    if target and target.startswith("self.") and target.count(".") == 1:
                        out.add(target[5:])
    return out


def _statements(body: cst.BaseSuite | cst.BaseExpression) -> list[cst.CSTNode]:
    """The small statements of a def's body, or a lambda's expression (docstrings left out)."""
    if isinstance(body, cst.BaseExpression):
        return [body]
    out: list[cst.CSTNode] = []
    stmts = body.body if isinstance(body, cst.IndentedBlock) else [body]
    for stmt in stmts:
        if not isinstance(stmt, cst.SimpleStatementLine):
            out.append(stmt)
            continue
        for small in stmt.body:
            if isinstance(small, cst.Expr) and isinstance(
                small.value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)
            ):
                continue
            out.append(small)
    return out


# `setValue`, `set_text`: a setter called again with the same argument changes nothing.
_SETTER = re.compile(r"^set(_[a-z]|[A-Z])")


def _slot_effect(
    slot: cst.BaseExpression, method: cst.FunctionDef, methods: dict[str, cst.FunctionDef]
) -> str:
    """What a duplicate connection of `slot` repeats: "nothing" (`pass`, a docstring, a bare
    `return`), "setter" (only `self.<x>.setValue(v)`-style setters: repeating one with the same
    value changes nothing) or "" (anything else, or a slot not found in the class)."""
    body: cst.BaseSuite | cst.BaseExpression | None = None
    name = dotted(slot) or ""
    if isinstance(slot, cst.Lambda):
        body = slot.body
    elif name.startswith("self.") and name.count(".") == 1 and name[5:] in methods:
        body = methods[name[5:]].body
    elif isinstance(slot, cst.Name):
        for node, _ in body_nodes(method):
            if isinstance(node, cst.FunctionDef) and node.name.value == name:
                body = node.body
    if body is None:
        return ""
    stmts = _statements(body)
    if all(
        isinstance(s, cst.Pass)
        or (isinstance(s, cst.Return) and s.value is None)
        or (isinstance(s, cst.Name) and s.value == "None")
        for s in stmts
    ):
        return "nothing"
    calls = [
        s.value if isinstance(s, cst.Expr) else s
        for s in stmts
        if isinstance(s, (cst.Expr, cst.Call))
    ]
    if len(calls) == len(stmts) and all(
        isinstance(c, cst.Call)
        and _SETTER.match(call_name(c) or "")
        and (dotted(c.func) or "").startswith("self.")
        for c in calls
    ):
        return "setter"
    return ""


def _declared_signal(cls: cst.ClassDef, signal: str) -> bool:
    """Whether `self.<name>` is a `Signal(...)` declared in the class body."""
    name = signal.split(".")[-1]
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    for stmt in body:
        if isinstance(stmt, cst.SimpleStatementLine):
            for small in stmt.body:
                if (
                    isinstance(small, cst.Assign)
                    and isinstance(small.value, cst.Call)
                    and call_name(small.value) in ("Signal", "pyqtSignal")
                    and any(dotted(t.target) == name for t in small.targets)
                ):
                    return True
    return False


class ConnectWithoutDisconnect(Rule):
    """Connections pile up on a long-lived signal each time the method runs."""

    ID = "CIA402"
    AREA = 4
    TITLE = "Signal connected in a repeatedly called method and never disconnected"
    RATIONALE = (
        "Qt keeps every connection: connecting the same slot again on each call (each "
        "refresh, each selection, each load) makes the slot run N times per emit after N "
        "calls, and keeps the receiver alive. Nothing in the class ever disconnects, so the "
        "fan-out and the work per emit grow for the life of the window."
    )
    IMPACT = 5
    FREQUENCY = 4
    DIFFICULTY = 3
    RECOMMENDATION = (
        "Connect once, in `__init__`/setup, and let the slot read the current state; or "
        "disconnect the previous connection before reconnecting (keep the "
        "`QMetaObject.Connection` returned by `connect` and pass it to `disconnect`), or pass "
        "`Qt.ConnectionType.UniqueConnection` for slots that are bound methods."
    )
    EXAMPLE_BEFORE = """\
def set_graph(self, graph):
    self._graph = graph
    self._view.selection_changed.connect(self._on_selection)
"""
    EXAMPLE_AFTER = """\
def __init__(self, view):
    self._view = view
    self._view.selection_changed.connect(self._on_selection)

def set_graph(self, graph):
    self._graph = graph
"""
    TAGS = ("qt", "leak", "signals", "per-call")
    TRIGGERS = (".connect(",)
    VALID = (
        # The sender is the running job's object, replaced each time a job starts: a
        # connection waits on that one job and goes with it.
        Valid(
            """\
            from PySide6.QtCore import QObject, Signal
            from PySide6.QtWidgets import QWidget

            class JobSignals(QObject):
                done = Signal()

            class FetchJob:
                def __init__(self):
                    self.signals = JobSignals()

            class Chart(QWidget):
                def on_data(self):
                    self.fetch_job = self.backend.start_fetch(self.range)

                def on_zoom(self, axis):
                    if self.fetch_job.running:
                        self.fetch_job.signals.done.connect(partial(self.on_zoom, axis))
                        return
                    self.redraw()

            def wire(chart, view):
                view.zoomed.connect(chart.on_zoom)
                view.loaded.connect(chart.on_data)
            """
        ),
        # A controller made per dialog: `create()` builds a new view and controller each
        # time, `__attrs_post_init__` runs once per object, and the only caller of
        # `run_dialog` calls it on the controller the factory just made. One connection per
        # view. Nothing calls `NoteController.exec_later` (only another class's method of that
        # name is called): it connects nothing.
        Valid(
            """\
            import asyncio
            import attr
            from PyQt5.QtWidgets import QDialog

            class NoteView(QDialog):
                pass

            @attr.s()
            class NoteController:
                view = attr.ib()

                def __attrs_post_init__(self):
                    self.view.rejected.connect(self.view.close)

                @classmethod
                def create(cls, parent):
                    view = NoteView(parent)
                    note = cls(view)
                    return note

                @classmethod
                def open_note(cls, parent):
                    note = cls.create(parent)
                    note.view.setWindowTitle("note")
                    return note

                def run_dialog(self):
                    future = asyncio.Future()
                    self.view.finished.connect(lambda r: future.set_result(r))
                    self.view.open()
                    return future

                def exec_later(self):
                    self.view.finished.connect(self.view.deleteLater)
                    self.view.finished.connect(lambda r: print(r))

            class PrefsDialog(QDialog):
                def exec_later(self):
                    return asyncio.Future()

            def start(loop):
                note = NoteController.open_note(None)
                loop.run_until_complete(note.run_dialog())
                prefs = PrefsDialog()
                loop.run_until_complete(prefs.exec_later())
            """
        ),
        # A template method: the base class's __init__ calls `self.prepare()`, so each
        # subclass's override runs once per object.
        Valid(
            """\
            class FormController:
                def __init__(self, ui):
                    self.ui = ui
                    self.prepare()

                def prepare(self):
                    pass

            class AccountForm(FormController):
                def prepare(self):
                    self.ui.test_button.clicked.connect(self.on_test)
            """
        ),
        Valid(
            """\
            class Panel:
                def __init__(self, view):
                    self._view = view
                    self._view.changed.connect(self._on_changed)

                def _setup_signals(self):
                    self._view.moved.connect(self._on_moved)
            """
        ),
        # A fresh object each call: its connections die with it.
        Valid(
            """\
            class Panel:
                def show_menu(self):
                    self._menu = QMenu()
                    self._menu.triggered.connect(self._on_action)
                    button = QPushButton()
                    button.clicked.connect(self._on_click)
            """
        ),
        # The class disconnects a signal of that name: it manages those connections.
        Valid(
            """\
            class Panel:
                def set_model(self, model):
                    if self._model is not None:
                        self._model.changed.disconnect(self._refresh)
                    self._model = model
                    self._bus.changed.connect(self._refresh)
            """
        ),
        # A helper disconnects the old slots before each new connection.
        Valid(
            """\
            class Renderer:
                def show_songs(self, model):
                    disconnect_slots_if_has(self._app.magicbox.filter_changed)
                    self._app.magicbox.filter_changed.connect(model.filter_by_text)
            """
        ),
        # Another class (the container owning the shared tab bar) disconnects the signal
        # before the next renderer connects.
        Valid(
            """\
            class Renderer:
                def render(self):
                    self.tabbar.show_songs_needed.connect(self._show_songs)

            class Container:
                def set_renderer(self, renderer):
                    for signal in (self.tabbar.show_songs_needed, self.tabbar.show_albums_needed):
                        disconnect_slots_if_has(signal)
                    renderer.render()
            """
        ),
        # Each call connects a new receiver object, not the same slot again.
        Valid(
            """\
            class CollectionManager:
                def scan(self, paths):
                    for path in paths:
                        coll = Collection(path)
                        self._app.library.provider_added.connect(coll.on_provider_added)
                        yield coll
            """
        ),
        # A thread body runs once per thread.
        Valid(
            """\
            from PySide6.QtCore import QThread

            class Fetcher(QThread):
                def run(self):
                    self._client.progress.connect(self._on_progress)
                    self._client.fetch_all()
            """
        ),
        # `enable()` is only called at start-up (from __init__), so it runs once.
        Valid(
            """\
            class MprisService:
                def __init__(self, app):
                    self._app = app
                    self.enable()

                def enable(self):
                    self._app.player.seeked.connect(self.update_position)
            """
        ),
        # First-creation branch: the dialog and its connections are made once.
        Valid(
            """\
            class Window:
                def show_settings(self):
                    if self._settings is None:
                        self._settings = SettingsDialog()
                        self._bus.theme_changed.connect(self._settings.apply_theme)
                    self._settings.show()
            """
        ),
        # Returns early for the panel it already has: one connection per new panel object,
        # never the same slot twice.
        Valid(
            """\
            from PySide6.QtCore import QObject, Signal

            class RobotsController(QObject):
                robots_updated = Signal(list)

                def set_panel(self, panel):
                    if self._panel is panel:
                        return
                    self._panel = panel
                    self.robots_updated.connect(panel.update_robots)
            """
        ),
        # The project's own Signal keeps weak references in a set: connecting the same bound
        # method again adds nothing, and dead receivers drop out. Not Qt, no pile-up.
        Valid(
            """\
            import weakref

            class Signal:
                def __init__(self):
                    self.receivers = set()

                def connect(self, receiver):
                    self.receivers.add(weakref.WeakMethod(receiver))

            class Player:
                def __init__(self):
                    self.seeked = Signal()

            class PositionLabel:
                def __init__(self, player: Player):
                    self._player = player

                def follow(self):
                    self._player.seeked.connect(self.on_seeked)
            """
        ),
        # A signal whose type cannot be shown to be Qt (an app attribute of unknown class,
        # not a Qt built-in signal name) is no proof of a pile-up.
        Valid(
            """\
            from PyQt6.QtWidgets import QWidget

            class LyricView(QWidget):
                def attach(self, app):
                    self._app = app

                def follow(self):
                    self._app.live_lyric.line_changed.connect(self.on_line)
            """
        ),
        # `clicked` of an object of unknown type, in a project where some class binds its own
        # non-Qt `clicked` signal per object: not shown to be Qt.
        Valid(
            """\
            from PyQt6.QtWidgets import QWidget
            from app.dispatch import Signal

            class SidebarItem:
                def __init__(self):
                    self.clicked = Signal()

            class SideBar(QWidget):
                def set_current(self, item):
                    self.current = item

                def follow(self):
                    self.current.clicked.connect(self.on_item_clicked)
            """
        ),
        # A new view per page render: the method runs once per view, on a view just
        # created, and its own button's connection dies with it.
        Valid(
            """\
            from PyQt6.QtWidgets import QPushButton, QWidget

            class SongView(QWidget):
                def __init__(self):
                    super().__init__()
                    self.copy_btn = QPushButton("Copy")

                async def maybe_show_link(self, song):
                    if song.url:
                        self.copy_btn.clicked.connect(lambda: copy_text(song.url))

            async def render_song_page(song):
                view = SongView()
                await view.maybe_show_link(song)
                return view
            """
        ),
        # A wizard builds a new page object per visit from a class it looks up, and calls
        # on_ready() on it once; what on_ready() calls on self runs once per page too.
        Valid(
            """\
            from PyQt6.QtWidgets import QCheckBox, QWidget

            class OnlinePage(QWidget):
                def __init__(self, wizard):
                    super().__init__()
                    self.online_cb = QCheckBox("Online")

                def on_ready(self):
                    self.prepare()

                def prepare(self):
                    self.online_cb.stateChanged.connect(self.on_updated)

            class Wizard(QWidget):
                def show_page(self, view):
                    page_class = self.page_for(view)
                    page = page_class(self)
                    page.on_ready()
            """
        ),
        # Closing hands the object to deleteLater once the server stops: the slot destroys
        # the window, so there is nothing left to pile up on.
        Valid(
            """\
            from PyQt5.QtWidgets import QWidget

            class DocViewer(QWidget):
                def __init__(self, server):
                    super().__init__()
                    self.server = server

                def closeEvent(self, event):
                    if self.server:
                        self.server.finished.connect(self.deleteLater)
                        self.server.quit()
                    super().closeEvent(event)
            """
        ),
        # The plugin framework calls its set-up hook once per plugin object.
        Valid(
            """\
            from PySide6.QtWidgets import QWidget

            class HistoryPlugin:
                def __init__(self, window: QWidget):
                    self.window = window

                def on_initialize(self):
                    self.window.restore_scroll.connect(self._restore_scroll)
            """
        ),
        # The plugin framework calls the decorated hook once, when the plugin it names
        # comes up.
        Valid(
            """\
            from PySide6.QtCore import QObject, Signal

            class SyncService(QObject):
                sig_synced = Signal(str)

            class FilesPlugin:
                def __init__(self, sync: SyncService):
                    self._sync = sync

                @on_plugin_available(plugin="sync")
                def on_sync_available(self):
                    self._sync.sig_synced.connect(self._reload)
            """
        ),
        # Each call retires the old highlighter and builds a new one; the timer's connection
        # to the old one dies with it, so the timer never holds more than one.
        Valid(
            """\
            from PyQt5.QtCore import QTimer
            from PyQt5.QtWidgets import QPlainTextEdit

            class Editor(QPlainTextEdit):
                def __init__(self):
                    super().__init__()
                    self._redraw_timer = QTimer(self)
                    self.highlighter = None

                def set_language(self, highlighter_class):
                    if self.highlighter is not None:
                        self.highlighter.setParent(None)
                        self.highlighter.setDocument(None)
                    self.highlighter = highlighter_class(self.document())
                    self._redraw_timer.timeout.connect(self.highlighter.rehighlight)
            """
        ),
        # Each page added gets its own connection: the dialog's signal reaches every page.
        Valid(
            """\
            from PyQt5.QtCore import pyqtSignal
            from PyQt5.QtWidgets import QDialog

            class SettingsDialog(QDialog):
                validate_all = pyqtSignal()

                def add_page(self, page):
                    self.validate_all.connect(page.validate)
                    self.pages.append(page)
            """
        ),
        # Each fade builds a new animation in a helper first: its `finished` is a new
        # object's signal, with only this fade's slot.
        Valid(
            """\
            from PyQt5.QtCore import QPropertyAnimation
            from PyQt5.QtWidgets import QDialog, QGraphicsOpacityEffect

            class Toast(QDialog):
                def _prepare_fade(self):
                    self.effect = QGraphicsOpacityEffect(self)
                    self.setGraphicsEffect(self.effect)
                    self.anim = QPropertyAnimation(self.effect, b"opacity")

                def fade_out(self):
                    self._prepare_fade()
                    self.anim.setEndValue(0.0)
                    self.anim.finished.connect(self.hide)
                    self.anim.start()
            """
        ),
        # A fresh thread object per test run; start() runs once per thread object.
        Valid(
            """\
            from PySide6.QtCore import QObject, QThread, Signal
            from PySide6.QtWidgets import QDialog

            class ProbeWorker(QObject):
                done = Signal(bool)

            class ProbeThread(QThread):
                done = Signal(bool)

                def __init__(self):
                    super().__init__()
                    self._worker = ProbeWorker()

                def start(self):
                    self._worker.done.connect(self.done.emit)
                    super().start()

            class KeysDialog(QDialog):
                def on_probe_clicked(self):
                    self._probe = ProbeThread()
                    self._probe.start()
            """
        ),
        # The slot connected again on each rare URL is a closure that does nothing: the
        # extra connections run nothing.
        Valid(
            """\
            from PySide6.QtCore import QTimer

            class Tab:
                def __init__(self):
                    self._resolve = QTimer()

                def open_address(self, address):
                    def on_resolve_timeout():
                        pass

                    if address.startswith("name:"):
                        self._resolve.timeout.connect(on_resolve_timeout)
                        self._resolve.start(5000)
            """
        ),
    )
    INVALID = (
        # Each run adds a connection, but the slot only sets the progress value: the
        # duplicates set the same value again. True and harmless: LOW.
        Invalid(
            """\
            from PySide6.QtCore import Signal
            from PySide6.QtWidgets import QDialog, QProgressDialog

            class BatchWindow(QDialog):
                progress = Signal(int)

                def run_batch(self):
                    self.bar = QProgressDialog()
                    self.progress.connect(self.on_progress)

                def on_progress(self, value):
                    self.bar.setValue(value)

            def on_run_clicked(window):
                window.run_batch()
            """,
            line=9,
            message_contains="harmless beyond the extra connections, LOW",
        ),
        Invalid(
            """\
            from NodeGraphQt import NodeGraph

            class Inspector:
                def __init__(self, graph: NodeGraph):
                    self._graph = graph

                def refresh(self):
                    self._graph.node_selected.connect(self._on_node_selected)
                    self._populate()

            def on_graph_changed(inspector):
                inspector.refresh()
            """,
            line=8,
            message_contains="self._graph.node_selected",
        ),
        # A Qt button's built-in signal gains one more slot on every switch.
        Invalid(
            """\
            from PyQt6.QtWidgets import QPushButton, QWidget

            class SourceBar(QWidget):
                def __init__(self, app):
                    super().__init__()
                    self.add_btn = QPushButton("+")
                    app.source_changed.connect(self.on_source_changed)

                def on_source_changed(self, source):
                    self.add_btn.clicked.connect(source.add_item)
            """,
            line=10,
            message_contains="self.add_btn.clicked",
        ),
        # The section's type hides behind a module-level alias; the one class that creates a
        # `create_btn` makes it a QPushButton, so `clicked` is Qt's, although another class
        # of the project names its own non-Qt signal `clicked`.
        Invalid(
            """\
            from PyQt6.QtWidgets import QFrame, QPushButton, QWidget
            from app.dispatch import Signal

            class SidebarItem:
                def __init__(self):
                    self.clicked = Signal()

            class ListSection(QFrame):
                def __init__(self):
                    super().__init__()
                    self.create_btn = QPushButton("+")

            Section = ListSection

            class SideBar(QWidget):
                def __init__(self):
                    super().__init__()
                    self.playlists = Section()

                def on_provider_changed(self, provider):
                    self.playlists.create_btn.clicked.connect(provider.create_playlist)
            """,
            line=21,
            message_contains="self.playlists.create_btn.clicked",
        ),
        # A debounce helper connects its timer again on every call; that another class
        # disconnects its own timer's `timeout` changes nothing here.
        Invalid(
            """\
            from PySide6.QtCore import QObject, QTimer

            class Debouncer(QObject):
                def __init__(self, parent=None):
                    super().__init__(parent)
                    self._timer = QTimer(self)
                    self._timer.setSingleShot(True)

                def call(self, callback):
                    self._pending = callback
                    self._timer.timeout.connect(self._fire)
                    self._timer.start(150)

            class Poller:
                def stop(self):
                    self._poll_timer.timeout.disconnect(self._poll)

            def on_text_edited(debouncer, editor):
                debouncer.call(editor.save)
            """,
            line=11,
            message_contains="self._timer.timeout",
        ),
        # showEvent runs each time the panel is shown: one more connection per show.
        Invalid(
            """\
            from PySide6.QtCore import QTimer
            from PySide6.QtWidgets import QWidget

            class StatsPanel(QWidget):
                def __init__(self):
                    super().__init__()
                    self._timer = QTimer(self)

                def showEvent(self, event):
                    self._timer.timeout.connect(self._refresh)
                    self._timer.start(1000)
                    super().showEvent(event)
            """,
            line=10,
            message_contains="self._timer.timeout",
        ),
        # An add method connecting a callback handed in: the same callback may come again,
        # and then it runs twice per emit.
        Invalid(
            """\
            from PyQt5.QtCore import pyqtSignal
            from PyQt5.QtWidgets import QWidget

            class Toolbar(QWidget):
                refreshed = pyqtSignal()

                def add_listener(self, callback):
                    self.refreshed.connect(callback)

            def watch(toolbar, view):
                toolbar.add_listener(view.reload)
            """,
            line=8,
            message_contains="self.refreshed",
        ),
        # The helper builds the animation only the first time: later calls connect to the
        # same one again.
        Invalid(
            """\
            from PyQt5.QtCore import QPropertyAnimation
            from PyQt5.QtWidgets import QDialog

            class Toast(QDialog):
                def _prepare_fade(self):
                    if self.anim is None:
                        self.anim = QPropertyAnimation(self, b"windowOpacity")

                def fade_out(self):
                    self._prepare_fade()
                    self.anim.finished.connect(self.hide)
                    self.anim.start()

            def on_saved(toast):
                toast.fade_out()
            """,
            line=11,
            message_contains="self.anim.finished",
        ),
        # A new probe per restart, but each is a child of the monitor: the old probes live
        # on, still connected, and every tick samples all of them.
        Invalid(
            """\
            from PySide6.QtCore import QObject, QTimer
            from PySide6.QtWidgets import QWidget

            class Probe(QObject):
                def sample(self):
                    pass

            class Monitor(QWidget):
                def __init__(self):
                    super().__init__()
                    self._tick = QTimer(self)

                def restart(self):
                    self.probe = Probe(self)
                    self._tick.timeout.connect(self.probe.sample)

            def on_device_changed(monitor):
                monitor.restart()
            """,
            line=15,
            message_contains="self._tick.timeout",
        ),
        # `on_connect` is an event handler, not a set-up hook: it runs on every reconnect,
        # and the ping timer gains one more slot each time.
        Invalid(
            """\
            from PySide6.QtCore import QTimer
            from PySide6.QtWidgets import QWidget

            class LinkStatus(QWidget):
                def __init__(self):
                    super().__init__()
                    self._ping = QTimer(self)

                def on_connect(self):
                    self._ping.timeout.connect(self._send_ping)
                    self._ping.start(5000)
            """,
            line=10,
            message_contains="self._ping.timeout",
        ),
        # The toolbar is borrowed from a long-lived container, its signal is a Qt signal
        # (declared with pyqtSignal), and each render adds one more lambda to it.
        Invalid(
            """\
            from PyQt6.QtCore import pyqtSignal
            from PyQt6.QtWidgets import QFrame

            class FilterBar(QFrame):
                filter_needed = pyqtSignal(list)

            class ShelfRenderer:
                def setup(self, container):
                    self.bar = container.bar

                def render(self):
                    self.bar.filter_needed.connect(lambda kinds: self.apply(kinds))

            def on_shelf_opened(renderer):
                renderer.render()
            """,
            line=12,
            message_contains="self.bar.filter_needed",
        ),
    )

    @classmethod
    def confirm(cls, finding: Finding, project: ProjectModel) -> Finding | None:
        """Also dropped when another class disconnects the signal (a container that resets
        its shared tab bar's signals before each renderer connects again), when the signal
        cannot be shown to be a Qt signal, and when the method runs once per object."""
        found = super().confirm(finding, project)
        signal = finding.message.partition("`")[2].partition(".connect(")[0]
        if found is None or not signal:
            return None
        # Some other class disconnecting a `timeout` or `clicked` says nothing about this
        # timer or button: every widget of a kind has them. A signal the project declares
        # itself (a shared tab bar's `show_songs_needed`) is one object's, reset elsewhere.
        name = signal.rsplit(".", 1)[-1]
        if project.disconnected(name) and name not in _QT_BUILTIN_SIGNALS:
            return None
        fn = project.function_at(finding.path, finding.line)
        if fn is None:
            return found
        # Only Qt keeps one connection per `connect`; a signal of another kind (a project's
        # own Signal class holding weak references in a set) or of unknown kind is no proof.
        if not _qt_signal(project, fn, signal):
            return None
        if _runs_once_per_object(project, fn) is not None:
            return None
        # Nothing in the project calls the method (no call of it, no callback, no string;
        # calls of other classes' methods of that name do not count): it never runs, so it
        # connects nothing "on every call". A hook a framework calls by name (`showEvent`,
        # `on_connect`) is not such a method.
        if _never_called(project, fn):
            return None
        return found

    @classmethod
    def wants(cls, source: str) -> bool:
        # Look (by lines, cheaply) for `self.x.sig.connect(` inside a not-run-once method:
        # only a sender reached from `self` is reported, so "self." anywhere on the line
        # (`btn.clicked.connect(self.on_click)`) let two thirds of Qt files through for nothing.
        if not super().wants(source):
            return False
        method = ""
        for line in source.splitlines():
            stripped = line.lstrip()
            if stripped.startswith(("def ", "async def ")):
                method = stripped.split("def ", 1)[1].split("(", 1)[0]
            elif (
                ".connect(" in stripped
                and _SELF_SENDER_CONNECT.search(stripped)
                and not _ONCE.match(method)
            ):
                return True
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        methods = methods_of(node)
        connects: list[tuple[cst.Call, str, str]] = []
        # Names used where the class disconnects something (`self._model.changed.disconnect(
        # ...)`, a helper such as `disconnect_slots_if_has(sig)`, a loop over signals): the
        # class manages those signals. A network client's `.disconnect()` manages none.
        disconnected: set[str] = set()
        for method in methods.values():
            walk = body_nodes(method)
            if any(
                isinstance(sub, cst.Call) and "disconnect" in (call_name(sub) or "").lower()
                for sub, _ in walk
            ):
                disconnected.update(
                    sub.attr.value for sub, _ in walk if isinstance(sub, cst.Attribute)
                )
        # `self.update_task = self.source.refresh(...)` in a handler: the sender is the current
        # operation's object, replaced by the next one; connections to it go with it.
        per_operation = {
            name.split(".")[1]
            for mname, method in methods.items()
            if not _ONCE.match(mname)
            for n, _ in body_nodes(method)
            if isinstance(n, cst.Assign) and isinstance(n.value, cst.Call)
            for t in n.targets
            if (name := dotted(t.target))
            and name.startswith("self.")
            and name.count(".") == 1
            and _PER_OPERATION.search(name)
        }
        for name, method in methods.items():
            walk = body_nodes(method)
            if _ONCE.match(name) or _lifecycle_hook(method):
                continue
            fresh = _assigned_self_attrs(method)
            replaced = _replaced_self_attrs(method)
            guarded = _guarded_params(method)
            items = _param_names(method) if _ADDS_ITEM.match(name) else set()
            local_objects = {
                t.target.value
                for n, _ in walk
                if isinstance(n, cst.Assign) and isinstance(n.value, cst.Call)
                for t in n.targets
                if isinstance(t.target, cst.Name)
            }
            setups = _setup_calls(method, methods, name)
            built_by_setup: set[str] = set()
            for sub, _ in walk:
                if id(sub) in setups:
                    built_by_setup |= setups[id(sub)]
                    continue
                if not (isinstance(sub, cst.Call) and call_name(sub) == "connect"):
                    continue
                # A Qt connect takes the slot (and maybe a connection type); `db.connect()`
                # with no slot is something else.
                if not sub.args or len(sub.args) > 2:
                    continue
                signal = dotted(sub.func.value) if isinstance(sub.func, cst.Attribute) else None
                # Only long-lived senders: `self.<attr>.<signal>` or `self.<signal>`.
                if not signal or not signal.startswith("self.") or "()" in signal:
                    continue
                if len(signal.split(".")) < 3 and not _declared_signal(node, signal):
                    continue
                if signal.rsplit(".", 1)[-1] in disconnected:
                    continue
                parts = signal.split(".")
                if len(parts) > 2 and (parts[1] in fresh or parts[1] in built_by_setup):
                    continue
                if len(parts) > 3 and parts[1] in per_operation:
                    continue
                # `coll = Collection(path); sig.connect(coll.on_added)`: a new receiver each
                # call, never the same slot twice.
                slot = dotted(sub.args[0].value) or ""
                if "." in slot and slot.split(".", 1)[0] in local_objects:
                    continue
                # `self.h.setParent(None); self.h = Highlighter(doc); sig.connect(
                # self.h.rehighlight)`: the same, for a receiver kept on self whose
                # predecessor is gone, and its connection with it.
                if (
                    slot.count(".") == 2
                    and slot.startswith("self.")
                    and slot.split(".")[1] in replaced
                ):
                    continue
                # `sig.connect(self.deleteLater)`: the slot destroys the receiver, and its
                # connections with it; a second one only schedules the same deletion.
                if slot.rsplit(".", 1)[-1] == "deleteLater":
                    continue
                # `add_page(self, page)`: each page added gets its own connection to the
                # dialog's signal (a broadcast to all pages). A bare callable handed in
                # (`sig.connect(callback)`) may be the same one again: still reported, as is
                # `item.method` outside an add method (`on_provider_changed(self, p)`
                # connecting `p.create` while the previous provider's slot stays connected).
                if "." in slot and slot.split(".", 1)[0] in items:
                    continue
                # `if self._panel is panel: return` first: one connection per new panel.
                if "." in slot and slot.split(".", 1)[0] in guarded:
                    continue
                effect = _slot_effect(sub.args[0].value, method, methods)
                # A slot that does nothing: the extra connections run nothing.
                if effect != "nothing":
                    connects.append((sub, signal, name, effect))
        for call, signal, method, effect in connects:
            message = (
                f"`{signal}.connect(...)` runs on every call of {method}() and the class "
                f"never disconnects, so each call adds another connection: connect once in "
                f"__init__/setup, or disconnect the previous connection first."
            )
            if effect == "setter":
                # Each emit then sets the same value N times: a leak of connections, no
                # change in behaviour and microseconds of work.
                self.report(
                    call,
                    f"{message} The slot only calls setters, so the duplicates set the "
                    "same value again on each emit: harmless beyond the extra connections, "
                    "LOW.",
                    impact=1,
                    frequency=3,
                )
                continue
            self.report(call, message)
