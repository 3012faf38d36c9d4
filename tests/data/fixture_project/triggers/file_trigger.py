"""Triggers: a polling folder watcher and a webhook server (fixture)."""

import asyncio
import os

from aiohttp import web


class FolderTrigger:
    def __init__(self, folder, interval=2.0):
        self.folder = folder
        self.interval = interval
        self._running = False
        self._known = set()

    async def _watch(self):
        while self._running:
            names = set(os.listdir(self.folder))
            for name in names - self._known:
                await self.fire(name)
            self._known = names
            await asyncio.sleep(self.interval)

    async def fire(self, name):
        return name


class WebhookTrigger:
    def __init__(self, app):
        self._app = app
        self._runner = None

    async def start(self):
        self._runner = web.AppRunner(self._app)
        await self._runner.setup()

    async def stop(self):
        self._app = None
