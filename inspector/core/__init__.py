"""The inspector's Qt-free core: session, records, correlation. Never imports Qt."""
