"""How the canvas workload drives a given app's node canvas, chosen by the profile.

Two shapes cover the targets we know: "methods" (a view with create/connect/delete methods,
like the demo's `NodeCanvasView`; method names configurable) and "nodegraphqt" (a
NodeGraphQt `NodeGraph` reached through a widget attribute, as in CasareRPA). Every adapter
call runs on the Qt GUI thread.
"""

from __future__ import annotations

from typing import Any

from inspector.agent.workloads.resolve import WorkloadSetupError, find_widget, resolve


class CanvasAdapter:
    """The operations the canvas workload needs; subclasses map them onto one canvas API."""

    can_collapse = False

    def __init__(self, definition: dict[str, Any]) -> None:
        self.definition = definition

    def identifiers(self) -> list[str]:
        """Node type identifiers to create, from the profile's `types` (resolved if needed)."""
        types = [str(t) for t in self.definition.get("types", [])]
        if not types:
            raise WorkloadSetupError("the profile's [workloads.canvas] lists no node `types`")
        resolver_name = self.definition.get("identifier_resolver")
        if not resolver_name:
            return types
        resolver = resolve(str(resolver_name))
        found = [ident for ident in (resolver(t) for t in types) if ident]
        if not found:
            raise WorkloadSetupError(f"none of the node types {types} is registered")
        return [str(i) for i in found]

    def view(self) -> Any:
        raise NotImplementedError

    def viewport(self) -> Any:
        return self.view().viewport()

    def create(self, identifier: str, x: float, y: float) -> Any:
        raise NotImplementedError

    def connect(self, source: Any, target: Any) -> bool:
        raise NotImplementedError

    def delete(self, nodes: list[Any]) -> None:
        raise NotImplementedError

    def select_all(self) -> None:
        raise NotImplementedError

    def clear_selection(self) -> None:
        raise NotImplementedError

    def move(self, nodes: list[Any], dx: float, dy: float) -> None:
        raise NotImplementedError

    def pan(self, dx: float, dy: float) -> None:
        view = self.view()
        view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + int(dx))
        view.verticalScrollBar().setValue(view.verticalScrollBar().value() + int(dy))

    def zoom(self, factor: float) -> None:
        self.view().scale(factor, factor)

    def set_collapsed(self, nodes: list[Any], collapsed: bool) -> None:
        raise NotImplementedError


class MethodsCanvasAdapter(CanvasAdapter):
    """A view whose own methods create, connect and delete nodes (the demo's shape)."""

    can_collapse = True

    def __init__(self, definition: dict[str, Any]) -> None:
        super().__init__(definition)
        self._view = find_widget(str(definition.get("widget", "")))
        self.m = {
            "create": "create_node",
            "connect": "connect_nodes",
            "delete": "delete_node",
            "select_all": "select_all",
            "clear_selection": "clear_selection",
            "pan": "pan",
            "zoom": "zoom",
            "collapse": "set_collapsed",
            "move": "moveBy",
        }
        self.m.update({k: str(v) for k, v in (definition.get("methods") or {}).items()})
        self.can_collapse = bool(self.m["collapse"])

    def view(self) -> Any:
        return self._view

    def create(self, identifier: str, x: float, y: float) -> Any:
        return getattr(self._view, self.m["create"])(identifier, pos=(x, y))

    def connect(self, source: Any, target: Any) -> bool:
        getattr(self._view, self.m["connect"])(source, target)
        return True

    def delete(self, nodes: list[Any]) -> None:
        delete = getattr(self._view, self.m["delete"])
        for node in nodes:
            delete(node)

    def select_all(self) -> None:
        getattr(self._view, self.m["select_all"])()

    def clear_selection(self) -> None:
        getattr(self._view, self.m["clear_selection"])()

    def move(self, nodes: list[Any], dx: float, dy: float) -> None:
        for node in nodes:
            getattr(node, self.m["move"])(dx, dy)

    def pan(self, dx: float, dy: float) -> None:
        getattr(self._view, self.m["pan"])(int(dx), int(dy))

    def zoom(self, factor: float) -> None:
        getattr(self._view, self.m["zoom"])(factor)

    def set_collapsed(self, nodes: list[Any], collapsed: bool) -> None:
        for node in nodes:
            getattr(node, self.m["collapse"])(collapsed)


class NodeGraphQtCanvasAdapter(CanvasAdapter):
    """A NodeGraphQt `NodeGraph` (graph.create_node, ports, viewer) behind an app widget."""

    def __init__(self, definition: dict[str, Any]) -> None:
        super().__init__(definition)
        widget = find_widget(str(definition.get("widget", "")))
        attr = str(definition.get("graph_attr", "graph"))
        graph = getattr(widget, attr, None)
        if graph is None:
            raise WorkloadSetupError(f"{type(widget).__qualname__} has no attribute {attr!r}")
        self.graph = graph
        self._viewer = graph.viewer()

    def view(self) -> Any:
        return self._viewer

    def create(self, identifier: str, x: float, y: float) -> Any:
        return self.graph.create_node(identifier, pos=[x, y], selected=False, push_undo=False)

    def connect(self, source: Any, target: Any) -> bool:
        outputs = source.output_ports() if hasattr(source, "output_ports") else []
        inputs = target.input_ports() if hasattr(target, "input_ports") else []
        if not outputs or not inputs:
            return False
        outputs[0].connect_to(inputs[0], push_undo=False)
        return True

    def delete(self, nodes: list[Any]) -> None:
        self.graph.delete_nodes(nodes, push_undo=False)

    def select_all(self) -> None:
        self.graph.select_all()

    def clear_selection(self) -> None:
        self.graph.clear_selection()

    def move(self, nodes: list[Any], dx: float, dy: float) -> None:
        # Move the item views, as a mouse drag does; the model is updated on release.
        for node in nodes:
            node.view.moveBy(dx, dy)

    def pan(self, dx: float, dy: float) -> None:
        pan = getattr(self._viewer, "_set_viewer_pan", None)
        if pan is not None:
            pan(dx, dy)
        else:
            super().pan(dx, dy)

    def zoom(self, factor: float) -> None:
        self.graph.set_zoom(self.graph.get_zoom() + (0.1 if factor > 1 else -0.1))


ADAPTERS: dict[str, type[CanvasAdapter]] = {
    "methods": MethodsCanvasAdapter,
    "nodegraphqt": NodeGraphQtCanvasAdapter,
}


def make_adapter(definition: dict[str, Any]) -> CanvasAdapter:
    kind = str(definition.get("adapter", "methods"))
    if kind not in ADAPTERS:
        raise WorkloadSetupError(f"unknown canvas adapter {kind!r}; known: {', '.join(ADAPTERS)}")
    return ADAPTERS[kind](definition)
