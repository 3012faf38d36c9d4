"""Finding the target's own classes, functions and live objects by qualified name.

Names are written "package.module:Qualified.Name" in the profile. Everything here raises
`WorkloadSetupError` with a sentence a user can act on (which name, what was missing), so a
later CasareRPA whose classes moved ends as a "failed" workload, not a traceback.
"""

from __future__ import annotations

import gc
import importlib
from typing import Any

from inspector.agent import target
from inspector.agent.hooks import split_target


class WorkloadSetupError(Exception):
    """The workload cannot start: a name in the profile does not resolve in this target."""


def resolve(qualified: str) -> Any:
    """Import "module:Qual.name" and return the object it names."""
    module_name, qual = split_target(qualified)
    if not module_name or not qual:
        raise WorkloadSetupError(f"{qualified!r} is not of the form 'module:Qualified.name'")
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise WorkloadSetupError(f"cannot import {module_name}: {exc}") from exc
    for part in qual.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise WorkloadSetupError(f"{qualified} not found: no attribute {part!r}") from None
    return obj


def class_matches(cls: type, qualified: str) -> bool:
    module_name, qual = split_target(qualified)
    return any(
        k.__qualname__ == qual and (not module_name or k.__module__ == module_name)
        for k in getattr(cls, "__mro__", ())
    )


def find_widget(qualified: str) -> Any:
    """The first live widget whose class (or a base) is `qualified`; call on the Qt thread."""
    widgets = target.qt_module("QtWidgets")
    if widgets is None:
        raise WorkloadSetupError("the target has no Qt widgets")
    for widget in widgets.QApplication.allWidgets():
        if class_matches(type(widget), qualified):
            return widget
    raise WorkloadSetupError(f"no live widget of class {qualified} in the target")


def find_instance(qualified: str) -> Any:
    """A live object: via an accessor "module:get_x" (called) or the first instance of a class."""
    obj = resolve(qualified)
    if isinstance(obj, type):
        for candidate in gc.get_objects():
            if isinstance(candidate, obj):
                return candidate
        raise WorkloadSetupError(f"no live instance of {qualified} in the target")
    if callable(obj):
        value = obj()
        if value is None:
            raise WorkloadSetupError(f"{qualified}() returned None: the app has not created it")
        return value
    return obj
