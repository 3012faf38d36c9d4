"""CasareRPA Audit Inspector: attach, sample, analyze and report on asyncio + Qt apps."""

__version__ = "0.1.0"
