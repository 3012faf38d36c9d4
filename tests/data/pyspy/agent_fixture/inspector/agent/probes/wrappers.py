"""Stand-ins for the agent's wrappers around the target's own callables (line numbers matter)."""


def checked(*args, _original=None, **kw):
    return _original(*args, **kw)


def timed_run(handle, original_run=None):
    original_run(handle)
