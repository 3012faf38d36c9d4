"""A search index built for each query (fixture)."""


class NodeIndex:
    def __init__(self, names):
        self._entries = [(name.lower(), name) for name in names]

    def search(self, query):
        return [name for lowered, name in self._entries if query in lowered]


def search_nodes(query, names):
    index = NodeIndex(names)  # expect: CIA1007
    return index.search(query.lower())
