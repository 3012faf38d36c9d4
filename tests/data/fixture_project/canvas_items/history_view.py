"""An execution history panel that re-sums everything per new row (fixture)."""


class HistoryPanel:
    def __init__(self, label):
        self._label = label
        self._rows = []

    def append_entry(self, entry):
        self._rows.append(entry)
        self._update_statistics()

    def _update_statistics(self):
        total = sum(e["seconds"] for e in self._rows)  # expect: CIA410
        self._label.setText(f"Total: {total:.1f}s")
