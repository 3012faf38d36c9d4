"""Qt views of the inspector (PySide6 + qasync + pyqtgraph); the only place Qt lives."""
