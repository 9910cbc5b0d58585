"""The node -> glflow op table (table.py), filled by the family modules below."""
from . import elementwise, nn, quantize, recurrent, reduce, resize, shape  # noqa: F401 - each registers its mappings
from .table import TABLE, Mapping, NodeInfo, mapping  # noqa: F401
