"""A log table trimmed from the top (fixture)."""


class LogTable:
    def __init__(self, table, max_rows):
        self._table = table
        self._max_rows = max_rows

    def append(self, text):
        row = self._table.rowCount()
        self._table.insertRow(row)
        self._trim()

    def _trim(self):
        while self._table.rowCount() > self._max_rows:
            self._table.removeRow(0)  # expect: CIA409
