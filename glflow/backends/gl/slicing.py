"""split on GL: every piece read through its StridedView by the elementwise identity pass, in
one call (a single strided read, slice or getitem, is the identity kernel through a view)."""
from . import elementwise


def split(backend, x, out_shape, views):
    """Each piece of a split: x read through its StridedView by the identity kernel."""
    expr = elementwise.call("identity", 1)
    return tuple(backend.elementwise(expr, [(x, None)], (view,), {}, view.shape)
                 for view in views)


KERNELS = {"split": split}
