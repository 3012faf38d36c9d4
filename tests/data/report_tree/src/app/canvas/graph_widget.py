"""Graph canvas (report fixture)."""


class GraphWidget:
    def __init__(self, nodes: list) -> None:
        self.nodes = nodes

    def on_node_moved(self, node) -> None:
        self.viewport_update()  # MARK:full-viewport-update

    def viewport_update(self) -> None:
        for node in self.nodes:
            node.redraw()

    def minimap_tick(self) -> None:
        self.viewport_update()  # MARK:minimap-every-tick
