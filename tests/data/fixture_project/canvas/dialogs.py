"""A coroutine slot that opens a static modal dialog (fixture)."""

from PySide6.QtWidgets import QMessageBox, QWidget


class JobsView(QWidget):
    async def _cancel_job(self, job_id):
        answer = QMessageBox.question(self, "Cancel", "Cancel this job?")
        if answer == QMessageBox.Yes:
            await self.client.cancel(job_id)
