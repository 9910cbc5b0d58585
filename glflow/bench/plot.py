"""`--plot out.png`: the scaling suite's results as one PNG, a log-log panel per op family,
GL and the numpy backend, with the crossover (the size above which GL is faster) marked.

The figure is always WIDTH x HEIGHT pixels (no tight bounding box), so it lays out the same
in every report. matplotlib is optional (the `train` and `dev` extras install it); it draws
with Agg, without a display.
"""
import io
import math

from . import output

WIDTH, HEIGHT, DPI = 1200, 800, 100
COLOURS = {"gl": "#d62728", "cpu": "#1f77b4"}


def series(doc):
    """{family: {backend: [(size, ms), ...] sorted by size}} of the measured points."""
    out = {}
    for row in doc.get("rows", []):
        if "ms" not in row or "error" in row:
            continue
        points = out.setdefault(row["family"], {}).setdefault(row["backend"], [])
        points.append((row["size"], row["ms"]))
    for backends in out.values():
        for points in backends.values():
            points.sort()
    return out


def crossovers(gl, cpu):
    """Where GL's time curve crosses numpy's: [(size, 'gl' or 'cpu', which is faster above
    it)], by log-log interpolation between the two measured sizes around each sign change of
    log(gl / numpy). Empty when the curves do not cross."""
    cpu_at = dict(cpu)
    logs = [(n, math.log(ms / cpu_at[n])) for n, ms in gl
            if n in cpu_at and ms > 0 and cpu_at[n] > 0]
    found = []
    for (n0, r0), (n1, r1) in zip(logs, logs[1:]):
        if (r0 > 0) == (r1 > 0) or r0 == r1:
            continue
        t = r0 / (r0 - r1)
        size = math.exp(math.log(n0) + t * (math.log(n1) - math.log(n0)))
        found.append((size, "gl" if r1 < 0 else "cpu"))
    return found


def ratios(gl, cpu):
    """[(size, GL time / numpy time)] at the sizes measured on both."""
    cpu_at = dict(cpu)
    return [(n, ms / cpu_at[n]) for n, ms in gl if n in cpu_at and cpu_at[n] > 0]


def human(n):
    """4096 -> '4K', 1048576 -> '1M', 512 -> '512'."""
    for unit, scale in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale}{unit}"
    return f"{n:g}"


def _verdict(gl, cpu):
    measured = ratios(gl, cpu)
    if not measured:
        return "no size measured on both backends"
    n, r = measured[-1]
    if all(x > 1 for _, x in measured):
        return f"GL slower at every size ({r:.1f}x numpy at {human(n)})"
    if all(x < 1 for _, x in measured):
        return f"GL faster at every size ({1 / r:.1f}x at {human(n)})"
    return f"curves cross; GL / numpy = {r:.2f}x at {human(n)}"


def plot_scaling(doc, path):
    """Draw the scaling results to the PNG `path` (written atomically); returns path."""
    # optional dependency, imported when a plot is asked for; a bare Figure (no pyplot)
    # renders with Agg and leaves the process's matplotlib backend alone
    from matplotlib.figure import Figure

    data = series(doc)
    if not data:
        raise ValueError("--plot: the results hold no measured point (scaling suite rows)")
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    machine = doc.get("machine", {})
    fig.suptitle(f"glflow {machine.get('glflow', '')}: time per op vs size, GL "
                 f"({machine.get('renderer', '?')}, LP_NUM_THREADS "
                 f"{machine.get('lp_num_threads')}) vs the numpy backend; "
                 f"{machine.get('date', '')}", fontsize=10)
    axes_names = doc.get("settings", {}).get("axes", {})
    order = list(doc.get("settings", {}).get("axes", {}))
    families = sorted(data, key=lambda f: (order.index(f) if f in order else len(order), f))
    cols = 2 if len(families) > 1 else 1
    rows = math.ceil(len(families) / cols)
    for i, family in enumerate(families):
        ax = fig.add_subplot(rows, cols, i + 1)
        _panel(ax, family, data[family], axes_names.get(family, "size"))
    fig.subplots_adjust(left=0.07, right=0.98, top=0.91, bottom=0.08, hspace=0.35, wspace=0.2)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI)
    return output.write_bytes(path, buffer.getvalue())


def _panel(ax, family, backends, xlabel):
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
    labels = {"gl": "GL", "cpu": "numpy backend"}
    for backend in ("gl", "cpu"):
        points = backends.get(backend)
        if points:
            ax.loglog([n for n, _ in points], [ms for _, ms in points], "o-",
                      color=COLOURS[backend], label=labels[backend])
    gl, cpu = backends.get("gl", []), backends.get("cpu", [])
    gl_at = dict(gl)
    for n, r in ratios(gl, cpu):  # GL / numpy written over each GL point
        ax.annotate(f"{r:.2g}x", xy=(n, gl_at[n]), xytext=(0, 6), textcoords="offset points",
                    ha="center", fontsize=8, color=COLOURS["gl"])
    _mark_crossovers(ax, gl, cpu)
    sizes = sorted({n for n, _ in gl} | {n for n, _ in cpu})
    ax.set_xticks(sizes)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda n, _: human(n)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    low, high = ax.get_ylim()
    ax.set_ylim(low / 1.3, high * 1.8)  # room for the ratio labels over the top points
    # ticks at 1, 2, 5 per decade on short ranges, at each decade on long ones
    subs = (1.0, 2.0, 5.0) if math.log10(high / low) < 3 else (1.0,)
    ax.yaxis.set_major_locator(LogLocator(subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_title(f"{family}: {_verdict(gl, cpu)}", fontsize=10)
    ax.set_xlabel(xlabel, fontsize=9)
    ax.set_ylabel("ms per op (median)", fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=9, loc="upper left")


def _mark_crossovers(ax, gl, cpu):
    """A dashed line at each crossover and the ranges where GL is faster shaded."""
    found = crossovers(gl, cpu)
    if not found:
        return
    measured = ratios(gl, cpu)
    left, right = measured[0][0], measured[-1][0]
    start = left if measured[0][1] < 1 else None
    for size, faster in found:
        ax.axvline(size, color="0.3", linestyle="--", linewidth=1)
        if faster == "gl":
            start = size
        elif start is not None:
            ax.axvspan(start, size, color="#2ca02c", alpha=0.12, linewidth=0)
            start = None
    if start is not None:
        ax.axvspan(start, right, color="#2ca02c", alpha=0.12, linewidth=0)
    where = ", ".join(f"~{size:.3g}" for size, _ in found)
    ax.text(0.98, 0.04, f"crossover at {where}\n(shaded: GL faster)", ha="right",
            va="bottom", transform=ax.transAxes, fontsize=8,
            bbox={"facecolor": "white", "edgecolor": "0.7", "alpha": 0.9})
