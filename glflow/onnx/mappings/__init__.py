"""The node -> glflow op table (table.py), filled by the family modules below."""
# each family module registers its mappings when imported
from . import (elementwise, indexing, nn, pool, quantize, recurrent, reduce, resize,  # noqa: F401
               sequence, shape)
from .table import TABLE, Mapping, NodeInfo, mapping  # noqa: F401
