"""A recorder thread shaped like CasareRPA's desktop recording panel."""

import threading

from PySide6.QtCore import QObject, QThread, Signal


class RecorderThread(QThread):
    action_recorded = Signal(dict)
    progress = Signal(object)

    def run(self):
        while self.isRunning():
            action = self._capture()
            self.action_recorded.emit(action)  # expect: CIA905
            self.progress.emit(action)

    def _capture(self):
        return {"type": "click"}


class SelectorScanner(QObject):
    found = Signal(list)
    finished = Signal(list)

    def start(self):
        threading.Thread(target=self._scan, daemon=True).start()

    def _scan(self):
        self._publish([])

    def _publish(self, items):
        self.found.emit(items)  # expect: CIA905

    def on_done_clicked(self):
        self.finished.emit([])
