"""Utilities shaped like CasareRPA's utils/ (fuzzy search, settings, metrics, rate limiting)."""

import difflib
import gc
import json
import re
import threading
import time


class CommandSearch:
    def __init__(self, names):
        self._names = names

    def search(self, query):
        scored = []
        for name in self._names:
            ratio = difflib.SequenceMatcher(None, query, name).ratio()  # expect: CIA1001
            scored.append((ratio, name))
        return sorted(scored, reverse=True)[:10]


class Preferences:
    def __init__(self, path):
        self.path = path
        self.settings = {}

    def get_timeout(self):
        with open(self.path / "settings.json") as f:
            return json.load(f)["timeout"]  # expect: CIA1002

    def set(self, key, value):
        self.settings[key] = value
        self.save_settings()  # expect: CIA1006

    def save_settings(self):
        with open(self.path / "settings.json", "w") as f:
            json.dump(self.settings, f)


def variables_used(names, text):
    used = [n for n in names if re.search(r"\{\{\s*" + n + r"\s*\}\}", text)]  # expect: CIA1003
    return used


def sample_metrics():
    return {"gc_objects": len(gc.get_objects())}  # expect: CIA1004


class RateLimiter:
    def __init__(self, interval):
        self._lock = threading.Lock()
        self._interval = interval
        self._last = 0.0

    def wait(self):
        with self._lock:
            delay = self._last + self._interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)  # expect: CIA1005
            self._last = time.monotonic()
