"""The node -> glflow op table (table.py), filled by the family modules below."""
# each family module registers its mappings when imported
from . import elementwise, nn, pool, quantize, recurrent, reduce, resize, shape  # noqa: F401
from .table import TABLE, Mapping, NodeInfo, mapping  # noqa: F401
