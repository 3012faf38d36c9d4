"""A quota store whose methods take its lock through a decorator and a context helper."""

import contextlib
import threading
import time

import requests


def synchronized(func):
    def wrapper(self, *args, **kwargs):
        with self._lock:
            return func(self, *args, **kwargs)

    return wrapper


class QuotaStore:
    def __init__(self):
        self._lock = threading.Lock()
        self._used = {}

    @contextlib.contextmanager
    def _locked(self):
        with self._lock:
            yield

    @synchronized
    def record(self, key, amount):
        self._used[key] = self._used.get(key, 0) + amount

    @synchronized
    def wait_for_quota(self, key):
        while self._used.get(key, 0) > 100:
            time.sleep(0.5)  # expect: CIA508

    def sync_remote(self, url):
        with self._locked():
            remote = requests.get(url, timeout=10).json()  # expect: CIA508
            self._used.update(remote)
