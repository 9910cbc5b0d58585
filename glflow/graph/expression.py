"""Elementwise expression trees (the `fused` kernel's `expr` attr) as text."""


def expression_text(expr, params=None):
    """An elementwise expression tree as text: add(mul(x0, x1), fill(0.5)); with no params
    given, param slots show as p0, p1, ..."""
    if expr[0] == "in":
        return f"x{expr[1]}"
    args = [expression_text(a, params) for a in expr[2]]
    args += [f"p{s}" if params is None else f"{params[s]:g}" for s in expr[3]]
    return f"{expr[1]}({', '.join(args)})"
