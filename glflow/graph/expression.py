"""Fused programs (the `fused` kernel's, a reduction's prologue, a matmul or conv epilogue) as
text, for listings, summaries and pictures. The format: glflow/backends/gl/elementwise.py."""


def program_text(program, params=None):
    """A program as text: an op read once is written inside its reader
    (`less_equal(add(x0, x1), fill(4))`), one read more often is named once (`t0 = mul(x2,
    x2); ...`), several outputs are separated by commas. With no params given, param slots
    show as p0, p1, ..."""
    ops, outputs = program
    uses = [0] * len(ops)
    for _, args, _, _ in ops:
        for a in args:
            if a[0] == "t":
                uses[a[1]] += 1
    for r in outputs:
        if r[0] == "t":
            uses[r[1]] += 1
    texts = []

    def show(ref):
        if ref[0] == "in":
            return f"x{ref[1]}"
        return texts[ref[1]] if uses[ref[1]] == 1 else f"t{ref[1]}"
    named = []
    for j, (kernel, args, slots, _) in enumerate(ops):
        items = [show(a) for a in args]
        items += [f"p{s}" if params is None else f"{params[s]:g}" for s in slots]
        texts.append(f"{kernel}({', '.join(items)})")
        if uses[j] != 1:
            named.append(f"t{j} = {texts[j]}")
    return "; ".join(named + [", ".join(show(r) for r in outputs)])


def node_detail(node):
    """What a fused node computes, as text ("" for other nodes): the program of a `fused`
    kernel, a reduction's prologue, a matmul's or conv's epilogue (x0 the product)."""
    if node.kind != "call":
        return ""
    attrs = node.attrs
    if node.prim.kernel == "fused":
        return program_text(attrs["program"], attrs.get("params", ()))
    for name in ("prologue", "epilogue"):
        part = attrs.get(name)
        if part is not None:
            return f"{name} {program_text(part['program'], part.get('params', ()))}"
    return ""
