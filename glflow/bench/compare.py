"""`glflow bench --compare A B`: the change of every figure from run A to run B.

A and B are two results files of one suite, or two run folders (every suite found in both).
TF.js peer harness files (`results` keyed by case) compare as well. Rows are matched by their
case name, or by the fields that name a case in the older suites (variant, model, backend,
n, ...); a figure is a number whose name says it is a time (`*_ms`, `us_per_op`, ...) or a
rate (`GFLOPs`, `GBps`, `*_per_s`), or a kernel count (`kernels_per_*`). Per figure: A, B,
B / A and the change in percent, with "better" or "worse" read from whether lower or higher
is better for that figure.
"""
import math
import os

from . import output

IDENTITY = ("case", "variant", "model", "backend", "family", "size", "n", "elements",
            "length", "optimizer", "batch")
RATES = ("GFLOPs", "gflops", "GBps", "_per_s")
TIMES = ("_ms", "us_per_op", "_s")
NOT_FIGURES = ("min_ms", "max_ms", "elapsed_s", "total_s")


def rows_of(doc):
    """A results file's rows as dicts (TF.js files: one per entry of `results`)."""
    if isinstance(doc.get("rows"), list):
        return [r for r in doc["rows"] if isinstance(r, dict)]
    if isinstance(doc.get("results"), dict):
        return [{"case": k, **v} for k, v in doc["results"].items() if isinstance(v, dict)]
    raise ValueError("not a glflow bench or TF.js peer results file (no 'rows' or 'results')")


def row_key(row):
    if "case" in row:
        return str(row["case"])
    parts = [f"{k}={row[k]}" for k in IDENTITY if k in row and not isinstance(row[k], dict)]
    return " ".join(parts) or "?"


def figures(row, prefix=""):
    """{dotted name: value} of the row's timings and rates, nested dicts included."""
    out = {}
    for key, value in row.items():
        name = prefix + key
        if isinstance(value, dict):
            out.update(figures(value, name + "."))
        elif (isinstance(value, (int, float)) and not isinstance(value, bool)
              and math.isfinite(value) and direction(key) and key not in NOT_FIGURES):
            out[name] = float(value)
    return out


def direction(key):
    """'higher' or 'lower' (which is better), or None when the key is not a figure."""
    if any(key.endswith(r) or key == r.strip("_") for r in RATES):
        return "higher"
    if any(key.endswith(t) for t in TIMES) or key.startswith("kernels_per"):
        return "lower"
    return None


def compare_docs(a, b):
    """Text lines: one per figure present in both A and B, then the cases only one has."""
    rows_a = {row_key(r): r for r in rows_of(a)}
    rows_b = {row_key(r): r for r in rows_of(b)}
    table = []
    for key in rows_a:
        if key not in rows_b:
            continue
        fa, fb = figures(rows_a[key]), figures(rows_b[key])
        for name in fa:
            if name not in fb:
                continue
            va, vb = fa[name], fb[name]
            if va == 0:
                cells = [key, name, _num(va), _num(vb), "—", "—", ""]
            else:
                change = (vb - va) / va * 100
                better = (change < 0) == (direction(name.rsplit(".", 1)[-1]) == "lower")
                verdict = "" if change == 0 else "better" if better else "worse"
                cells = [key, name, _num(va), _num(vb), f"{vb / va:.3f}x", f"{change:+.1f}%",
                         verdict]
            table.append(cells)
    header = ["case", "figure", "A", "B", "B/A", "change", ""]
    lines = _aligned([header] + table) if table else ["(no figure in common)"]
    failed = [f"  failed in {label}: {key}: {row['error']}"
              for label, rows in (("A", rows_a), ("B", rows_b))
              for key, row in rows.items() if "error" in row]
    only = [f"  only in {label}: {key}" for label, mine, other in
            (("A", rows_a, rows_b), ("B", rows_b, rows_a)) for key in mine if key not in other]
    return lines + failed + only


def _num(value):
    return f"{value:.4g}"


def _aligned(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in
                      enumerate(zip(r, widths))).rstrip() for r in rows]


def _describe(doc, path):
    m = doc.get("machine", {})
    when = m.get("date") or doc.get("date") or "?"
    what = m.get("renderer") or (doc.get("webgl") or {}).get("unmasked_renderer") or \
        doc.get("backend", "?")
    flags = " (interrupted: partial)" if doc.get("interrupted") else ""
    return f"{path}: {when}, {what}{flags}"


def compare_paths(a, b):
    """The comparison as text; a and b: two results files or two run folders."""
    if os.path.isdir(a) != os.path.isdir(b):
        raise ValueError("--compare: give two results files or two run folders")
    if os.path.isdir(a):
        names = sorted(n for n in os.listdir(a) if n.endswith(".json")
                       and os.path.isfile(os.path.join(b, n)))
        if not names:
            raise ValueError(f"--compare: {a} and {b} have no results file in common")
        pairs = [(os.path.join(a, n), os.path.join(b, n)) for n in names]
    else:
        pairs = [(a, b)]
    out = []
    for pa, pb in pairs:
        da, db = _read(pa), _read(pb)
        title = da.get("suite") or os.path.splitext(os.path.basename(pa))[0]
        out += [f"== {title}", f"  A = {_describe(da, pa)}", f"  B = {_describe(db, pb)}"]
        out += compare_docs(da, db)
        out.append("")
    out.append("B/A < 1 is faster for times (ms, us/op) and slower for rates (GFLOP/s, GB/s); "
               "'better' and 'worse' say which.")
    return "\n".join(out)


def _read(path):
    try:
        doc = output.read_json(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"--compare: cannot read {path}: {exc}") from None
    if not isinstance(doc, dict):
        raise ValueError(f"--compare: {path} is not a results file")
    try:
        rows_of(doc)
    except ValueError as exc:
        raise ValueError(f"--compare: {path}: {exc}") from None
    return doc
