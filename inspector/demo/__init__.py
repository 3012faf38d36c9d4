"""A small PySide6 + qasync app shaped like CasareRPA, with deliberate performance defects."""
