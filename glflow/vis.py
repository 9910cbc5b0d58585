"""PNG plots with matplotlib's Agg backend (no display needed): training curves and the
layer graph of a model. matplotlib is imported only when a plot is made; files are written
atomically (the format follows the file's extension, PNG when it has none)."""
import os

from .atomic_write import atomic_write
from .models.summary import layer_rows


def _pyplot():
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError("glflow.vis needs matplotlib (pip install matplotlib)") from exc
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    return plt


def _save(fig, path):
    path = os.fspath(path)
    kind = os.path.splitext(path)[1][1:].lower() or "png"
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format=kind, dpi=100)
    return path


def plot_history(history, path, keys=None):
    """One panel per quantity (loss, accuracy, ...), its val_ twin drawn in the same panel."""
    data = getattr(history, "history", history)
    if not isinstance(data, dict) or not data:
        raise ValueError("plot_history: expected a History (or its .history dict) with values")
    keys = keys or [k for k in data if not k.startswith("val_")]
    unknown = [k for k in keys if k not in data]
    if unknown:
        raise ValueError(f"plot_history: no values for {unknown}; logged: {sorted(data)}")
    plt = _pyplot()
    from matplotlib import ticker
    fig, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.5), squeeze=False)
    epochs = getattr(history, "epoch", None) or list(range(len(data[keys[0]])))
    for ax, key in zip(axes[0], keys):
        ax.plot([e + 1 for e in epochs[:len(data[key])]], data[key], marker="o", label=key)
        if f"val_{key}" in data:
            val = data[f"val_{key}"]
            ax.plot([e + 1 for e in epochs[:len(val)]], val, marker="s", label=f"val_{key}")
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(ticker.MaxNLocator(integer=True))  # epochs are whole
        ax.set_title(key)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def plot_model(model, path, show_shapes=True):
    """The layers as boxes (name, type, output shape, parameters) joined by arrows, top to
    bottom in execution order; functional models draw their real connections."""
    rows = layer_rows(model)
    if not rows:
        raise ValueError(f"plot_model: model {model.name!r} has no layers to draw")
    plt = _pyplot()
    height = 1.1 * len(rows) + 0.6
    fig, ax = plt.subplots(figsize=(6.5, height))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, len(rows))
    ax.axis("off")
    centre = {}
    for i, (name, kind, shape, params, _) in enumerate(rows):
        y = len(rows) - i - 0.5
        centre[name] = y
        text = f"{name} ({kind})"
        if show_shapes:
            text += f"\noutput {shape}   params {params}"
        ax.text(0.5, y, text, ha="center", va="center", fontsize=9,
                bbox={"boxstyle": "round,pad=0.4", "facecolor": "#e8f0fe", "edgecolor": "#3b6"})
    graph_like = any(r[4] for r in rows)
    for i, (name, _, _, _, inbound) in enumerate(rows):
        sources = inbound if graph_like else ([rows[i - 1][0]] if i else [])
        for src in dict.fromkeys(sources):
            if src in centre:
                _arrow(ax, centre[src], centre[name])
    ax.set_title(f'Model "{model.name}"')
    fig.tight_layout()
    try:
        return _save(fig, path)
    finally:
        plt.close(fig)


def _arrow(ax, y_src, y_dst):
    """Neighbours: straight down between the boxes. Longer jumps: an arc beside the column
    (right going down, left going up) so it never crosses the boxes in between."""
    style = {"arrowstyle": "->", "color": "#555"}
    if abs(y_src - y_dst - 1) < 1e-9:
        ax.annotate("", xy=(0.5, y_dst + 0.3), xytext=(0.5, y_src - 0.3), arrowprops=style)
        return
    down = y_src > y_dst
    x = 0.7 if down else 0.3  # just beside the boxes (they span about 0.35-0.65)
    bend = min(0.15 * abs(y_src - y_dst), 0.6)
    style["connectionstyle"] = f"arc3,rad={-bend if down else bend}"
    ax.annotate("", xy=(x, y_dst), xytext=(x, y_src), arrowprops=style)
