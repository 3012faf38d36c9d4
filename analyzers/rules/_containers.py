"""Whether a class's own container ever holds anything (a project-model helper shared by
rules; not a rule: no `Rule` subclass here).

A loop over `self._handlers` runs only if something puts a handler there. When the class
creates the container empty and the only code that adds to it (or rebinds it) sits in
methods nothing in the audited tree ever names (`add_handler`, never called, registered or
looked up by a string), the container stays empty and the loop never runs.
"""

from __future__ import annotations

from analyzers.project import ProjectModel

_MEMO_KEY = "containers.mentioned_names"


def _mentioned_names(project: ProjectModel) -> frozenset[str] | None:
    """Every word any module uses as a name, an attribute, a registered class or a quoted
    identifier (definitions and imports excluded); None when some module was summarized
    without its references (nothing can then be said to be unused)."""

    def build() -> frozenset[str] | None:
        words: set[str] = set()
        for summary in project.modules.values():
            refs = summary.references
            if refs is None:
                return None
            for text in (refs.names_text, refs.attrs_text, refs.strings_text, refs.registered_text):
                words.update(text.split("\n"))
        return frozenset(words)

    return project.memo(_MEMO_KEY, build)


_FILLING = frozenset({"append", "add", "setdefault", "update", "insert", "extend", "appendleft"})


def _filled_from_outside(project: ProjectModel) -> frozenset[str]:
    """Attribute names some code fills through another object: `tracker._items.append(x)`
    (any `<obj>.<attr>.<adder>(...)` call whose object is not `self`)."""

    def build() -> frozenset[str]:
        out: set[str] = set()
        for fn in project.functions.values():
            for call in fn.calls:
                head, _, verb = call.target.rpartition(".")
                owner, _, attr = head.rpartition(".")
                if verb in _FILLING and owner and owner != "self":
                    out.add(attr)
        return frozenset(out)

    return project.memo("containers.filled_from_outside", build)


def uncalled_method(project: ProjectModel, relpath: str, line: int, cls: str) -> str:
    """The name of the plain method of `cls` holding `line`, when nothing mentions that
    name anywhere in the tree ("" otherwise)."""
    fn = project.function_at(relpath, line)
    if fn is None or fn.cls != cls or fn.decorators or fn.name.startswith("__"):
        return ""
    mentioned = _mentioned_names(project)
    return fn.name if mentioned is not None and fn.name not in mentioned else ""


def unused_fillers(project: ProjectModel, cls: str, attr: str) -> tuple[str, ...] | None:
    """When `cls` creates `self.<attr>` empty, nothing fills it through another object, and
    only methods of its own that nothing calls add to it or rebind it, those methods' names
    (`()` when nothing at all fills it): the container is always empty today. None when
    something may fill it."""
    info = project.classes.get(cls)
    use = info.containers.get(attr) if info is not None else None
    if info is None or use is None or not use.empty or attr in _filled_from_outside(project):
        return None
    fills = [line for line, _ in use.adds]
    fills += [line for line, how in use.removes if how == "reassign"]
    names = [uncalled_method(project, info.relpath, line, cls) for line in fills]
    if not all(names):
        return None
    return tuple(dict.fromkeys(names))
