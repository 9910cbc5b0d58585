"""The side-by-side table of glflow's `peers` results and TF.js peer harness results.

One markdown row per figure of the peer harness's own summary table, one column for glflow
and, per peer file, a column with its figure and one with the ratio
TF.js time / glflow time (for rates, glflow rate / TF.js rate): > 1 means glflow is faster.
The dispatch-overhead row is shown three times: both forcing every add to be a draw (host
forwarding off in glflow, WEBGL_CPU_FORWARD=false in TF.js); glflow as shipped against TF.js's
forced draws (the issue's target); both as shipped (tensors under 128 elements on the CPU).
"""
import os

from . import output

TIME, RATE = "time", "rate"


def rows_for(names):
    """(label, glflow case and field path, peer case and field path, kind, decimals)."""
    over = names["overhead"]
    ops = over.rsplit("_x", 1)[1]
    out = [(f"{ops} chained add [4], us/op (both: forced GL draw)",
            (over, "forced_gl", "us_per_op"), (over + "_gpu", "us_per_op"), TIME, 1),
           (f"{ops} chained add [4], us/op (glflow as shipped, TF.js: forced GL draw)",
            (over, "us_per_op"), (over + "_gpu", "us_per_op"), TIME, 1),
           (f"{ops} chained add [4], us/op (both as shipped: CPU forward)",
            (over, "us_per_op"), (over, "us_per_op"), TIME, 1)]
    for case in names["add"]:
        label = _elements(int(case.split("_")[1]))
        out += [(f"add {label}: op + full readback (ms)", (case, "with_readback", "median_ms"),
                 None, TIME, 2),
                (f"add {label}: per op, {names['chained_adds']} chained, 1-elem sync (ms)",
                 (case, "chained_per_op_ms"), None, TIME, 2)]
    for case in names["matmul"]:
        out.append((f"matmul {case.split('_')[1]} (GFLOP/s)", (case, "GFLOPs"), None, RATE, 2))
    last = names["matmul"][-1]
    out.append((f"matmul {last.split('_')[1]} (ms)", (last, "median_ms"), None, TIME, 1))
    conv, conv_label = names["conv"], names["conv_label"]
    out += [(f"{conv_label} (ms)", (conv, "median_ms"), None, TIME, 2),
            (f"{conv_label} (GFLOP/s)", (conv, "GFLOPs"), None, RATE, 2),
            (f"MLP 784-256-256-10, {names['mlp'].rsplit('_b', 1)[1]} images (ms/batch)",
             (names["mlp"], "median_ms"), None, TIME, 2),
            (f"CNN conv32-conv64-pool-128-10, {names['cnn'].rsplit('_b', 1)[1]} images (ms/batch)",
             (names["cnn"], "median_ms"), None, TIME, 1),
            (f"cold first call: matmul {last.split('_')[1]} (ms)", (last, "cold_ms"), None,
             TIME, 0),
            ("cold first call: CNN (ms)", (names["cnn"], "cold_ms"), None, TIME, 0)]
    # a row whose peer path is not given reads the same case and field as glflow's
    return [(label, mine, theirs or mine, kind, digits)
            for label, mine, theirs, kind, digits in out]


def _elements(n):
    return f"{n >> 20}M" if n >= 1 << 20 and n % (1 << 20) == 0 else str(n)


def glflow_results(doc):
    """{case: row} from a glflow results file (failed cases keep their `error`)."""
    return {row["case"]: row for row in doc.get("rows", []) if "case" in row}


def load_peer(path):
    """(column name, {case: result}, note, failure) of one TF.js results file."""
    doc = output.read_json(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("results", {}), dict):
        raise ValueError(f"--peer {path}: not a TF.js peer harness results file "
                         "(a JSON object with 'results')")
    key = os.path.splitext(os.path.basename(path))[0]
    name = "TF.js " + key.replace("browser_", "chromium ").replace("node_", "node ")
    failure = None if doc.get("ok", True) else str(doc.get("error", "failed")).splitlines()[0]
    renderer = (doc.get("webgl") or {}).get("unmasked_renderer")
    note = f"{name}: tfjs {doc.get('tfjs_version', '?')}, backend {doc.get('backend', '?')}"
    if renderer:
        note += f", renderer {renderer}"
    if doc.get("extra_env"):
        note += ", env " + " ".join(f"{k}={v}" for k, v in doc["extra_env"].items())
    return name, doc.get("results", {}), note, failure


def _lookup(results, path):
    value = results.get(path[0])
    for key in path[1:]:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return float(value) if isinstance(value, (int, float)) else None


def _fmt(value, digits):
    return "—" if value is None else f"{value:.{digits}f}"


def ratio(kind, mine, theirs):
    """TF.js time / glflow time, or glflow rate / TF.js rate: > 1 means glflow is faster."""
    if mine is None or theirs is None or mine <= 0 or theirs <= 0:
        return None
    return theirs / mine if kind == TIME else mine / theirs


def render(doc, peers, names):
    """Markdown table: glflow's figures and, per peer (load_peer tuples), its figure and the
    ratio; then a line per column saying what ran. names: the case names (peers.case_names)."""
    size = doc.get("settings", {}).get("size", "full")
    mine_all = glflow_results(doc)
    machine = doc.get("machine", {})
    header = ["case", f"glflow {machine.get('backend', '?')}"]
    for name, *_ in peers:
        header += [name, "ratio"]
    lines = ["| " + " | ".join(header) + " |",
             "|---|" + "|".join("---:" for _ in header[1:]) + "|"]
    for label, mine_path, peer_path, kind, digits in rows_for(names):
        row = mine_all.get(mine_path[0])
        mine = None if row is None or "error" in row else _lookup(mine_all, mine_path)
        cells = [label, "FAIL" if row is not None and "error" in row else _fmt(mine, digits)]
        for _, results, _, failure in peers:
            theirs = None if failure else _lookup(results, peer_path)
            r = ratio(kind, mine, theirs)
            cells += ["FAIL" if failure else _fmt(theirs, digits),
                      "—" if r is None else f"{r:.2f}x"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"- glflow {machine.get('glflow', '?')}, backend {machine.get('backend', '?')}, "
                 f"renderer {machine.get('renderer')}, LP_NUM_THREADS "
                 f"{machine.get('lp_num_threads')}, {machine.get('date', '?')}, size {size}")
    for name, _, note, failure in peers:
        lines.append(f"- {note}" + (f": FAILED {failure}" if failure else ""))
    for case, row in mine_all.items():
        if "error" in row:
            lines.append(f"- glflow {case} FAILED: {row['error']}")
    if peers:
        lines.append("- ratio = TF.js time / glflow time (GFLOP/s: glflow / TF.js); "
                     "> 1 means glflow is faster")
    return "\n".join(lines)
