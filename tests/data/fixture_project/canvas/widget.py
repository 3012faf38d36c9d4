"""A canvas widget on the GUI thread (fixture; parsed, never imported)."""

import subprocess
import threading

from PySide6.QtWidgets import QApplication, QWidget


def open_in_editor(path):
    subprocess.run(["xdg-open", path])


class CanvasWidget(QWidget):
    def __init__(self):
        super().__init__()
        self.open_button.clicked.connect(self.on_open)

    def on_open(self):
        open_in_editor(self.path)

    def mouseMoveEvent(self, event):
        QApplication.processEvents()

    def start_export(self):
        threading.Thread(target=self._export, daemon=True).start()

    def _export(self):
        self.status_label.setText("exporting")
