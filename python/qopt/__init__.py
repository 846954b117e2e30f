# python/qopt/__init__.py - the qopt Python package (format library bindings).
from qopt import formats  # noqa: F401

__all__ = ["formats"]
