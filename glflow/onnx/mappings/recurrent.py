"""LSTM, GRU and RNN (ONNX's gate layouts): the input projection of every time step is one
matmul, then each step is a matmul with the recurrent weights and the gate arithmetic. The
time loop runs in Python over the static sequence length, so a traced call unrolls it."""
import builtins

import numpy as np

from ... import ops
from .table import mapping

_NEEDS = {"HardSigmoid": (0.2, 0.5), "LeakyRelu": (0.01, None), "Affine": (1.0, 0.0),
          "ScaledTanh": (1.0, 1.0), "ThresholdedRelu": (1.0, None), "Elu": (1.0, None)}
_PLAIN = {"Sigmoid": ops.sigmoid, "Tanh": ops.tanh, "Relu": ops.relu, "Softsign": ops.softsign,
          "Softplus": ops.softplus}


def _activation(name, alpha, beta):
    if name in _PLAIN:
        return _PLAIN[name]
    if name == "HardSigmoid":
        return lambda x: ops.clip_by_value(ops.add(ops.mul(x, alpha), beta), 0.0, 1.0)
    if name == "LeakyRelu":
        return lambda x: ops.leaky_relu(x, alpha)
    if name == "Affine":
        return lambda x: ops.add(ops.mul(x, alpha), beta)
    if name == "ScaledTanh":
        return lambda x: ops.mul(ops.tanh(ops.mul(x, beta)), alpha)
    if name == "ThresholdedRelu":
        return lambda x: ops.where(ops.greater(x, alpha), x, 0.0)
    return lambda x: ops.elu(x, alpha)


def _activations(n, defaults):
    names = n["activations"] or defaults * (2 if n["direction"] == "bidirectional" else 1)
    alphas, betas = list(n["activation_alpha"] or []), list(n["activation_beta"] or [])
    out = []
    for name in names:
        a, b = _NEEDS.get(name, (None, None))
        if a is not None and alphas:
            a = alphas.pop(0)
        if b is not None and betas:
            b = betas.pop(0)
        out.append(_activation(name, a, b))
    return out


def _check(n):
    for name in n["activations"] or []:
        if name not in _PLAIN and name not in _NEEDS:
            n.refuse(f"activation {name!r}")
    if n["direction"] not in ("forward", "reverse", "bidirectional"):
        n.refuse(f"attribute 'direction' = {n['direction']!r}")
    if n.attrs.get("input_forget"):
        n.refuse("attribute 'input_forget' = 1")


_ATTRS = {"activation_alpha": None, "activation_beta": None, "activations": None, "clip": None,
          "direction": "forward", "hidden_size": None, "layout": 0}


def _sequences(x, layout):
    """x as [seq, batch, input]."""
    return ops.transpose(x, [1, 0, 2]) if layout else x


def _uniform_lengths(n, lengths, seq):
    # per-batch lengths need masking; glflow supports the common case, all of them full
    if lengths is not None and np.any(np.asarray(lengths) != seq):
        raise NotImplementedError(f"onnx: {n.op_type} node {n.name!r}: sequence_lens shorter "
                                  "than the sequence are not supported by glflow")


def _clip(n, x):
    c = n["clip"]
    return ops.clip_by_value(x, -c, c) if c is not None else x


def _run(n, x, w, r, b, h0, step, gates, state=None):
    """Every direction of one recurrent layer: (Y, Y_h[, Y_c])."""
    x = _sequences(x, n["layout"])
    seq, batch = x.shape[0], x.shape[1]
    dirs = w.shape[0]
    hidden = r.shape[2]
    names = ["forward", "reverse"] if n["direction"] == "bidirectional" else [n["direction"]]
    ys, hs, cs = [], [], []
    for d, name in enumerate(names):
        wd, rd = ops.reshape(ops.getitem(w, d), [gates * hidden, -1]), ops.getitem(r, d)
        proj = ops.matmul(ops.reshape(x, [seq * batch, -1]), wd, transpose_b=True)
        wb = rb = None
        if b is not None:
            bd = ops.getitem(b, d)
            wb = ops.getitem(bd, builtins.slice(0, gates * hidden))
            rb = ops.getitem(bd, builtins.slice(gates * hidden, 2 * gates * hidden))
            proj = ops.add(proj, wb)
        proj = ops.reshape(proj, [seq, batch, gates * hidden])
        h = ops.getitem(h0, d) if h0 is not None else ops.zeros([batch, hidden])
        c = (ops.getitem(state, d) if state is not None else ops.zeros([batch, hidden]))
        order = builtins.range(seq - 1, -1, -1) if name == "reverse" else builtins.range(seq)
        outs = [None] * seq
        for t in order:
            h, c = step(d, ops.getitem(proj, t), h, c, rd, rb)
            outs[t] = h
        ys.append(ops.stack(outs, 0))
        hs.append(h)
        cs.append(c)
    y = ops.stack(ys, 1)  # [seq, dirs, batch, hidden]
    y_h, y_c = ops.stack(hs, 0), ops.stack(cs, 0)
    if n["layout"]:
        y = ops.transpose(y, [2, 0, 1, 3])
        y_h, y_c = ops.transpose(y_h, [1, 0, 2]), ops.transpose(y_c, [1, 0, 2])
    del dirs
    return y, y_h, y_c


def _gate(proj, k, hidden):
    return ops.getitem(proj, (builtins.slice(None), builtins.slice(k * hidden, (k + 1) * hidden)))


@mapping("LSTM", attrs=dict(_ATTRS, input_forget=0), host=(4,), check=_check)
def lstm(n, x, w, r, b=None, lengths=None, h0=None, c0=None, p=None):
    _uniform_lengths(n, lengths, x.shape[1 if n["layout"] else 0])
    acts = _activations(n, ["Sigmoid", "Tanh", "Tanh"])
    hidden = r.shape[2]

    def step(d, xp, h, c, rd, rb):
        f, g, hh = acts[3 * d:3 * d + 3]
        z = ops.add(xp, ops.matmul(h, rd, transpose_b=True))
        if rb is not None:
            z = ops.add(z, rb)
        i_, o_, f_, c_ = (_gate(z, k, hidden) for k in builtins.range(4))
        if p is not None:
            pd = ops.getitem(p, d)
            pi, po, pf = (ops.getitem(pd, builtins.slice(k * hidden, (k + 1) * hidden))
                          for k in builtins.range(3))
            i_, f_ = ops.add(i_, ops.mul(pi, c)), ops.add(f_, ops.mul(pf, c))
        i_, f_, c_ = f(_clip(n, i_)), f(_clip(n, f_)), g(_clip(n, c_))
        c = ops.add(ops.mul(f_, c), ops.mul(i_, c_))
        if p is not None:
            o_ = ops.add(o_, ops.mul(po, c))
        h = ops.mul(f(_clip(n, o_)), hh(c))
        return h, c
    y, y_h, y_c = _run(n, x, w, r, b, h0, step, 4, c0)
    return (y, y_h, y_c)[:n.n_outputs]


@mapping("GRU", attrs=dict(_ATTRS, linear_before_reset=0), host=(4,), check=_check)
def gru(n, x, w, r, b=None, lengths=None, h0=None):
    _uniform_lengths(n, lengths, x.shape[1 if n["layout"] else 0])
    acts = _activations(n, ["Sigmoid", "Tanh"])
    hidden = r.shape[2]

    def step(d, xp, h, c, rd, rb):
        f, g = acts[2 * d:2 * d + 2]
        xz, xr, xh = (_gate(xp, k, hidden) for k in builtins.range(3))
        rz = ops.getitem(rd, builtins.slice(0, 2 * hidden))
        rh = ops.getitem(rd, builtins.slice(2 * hidden, 3 * hidden))
        hz = ops.matmul(h, rz, transpose_b=True)
        if rb is not None:
            hz = ops.add(hz, ops.getitem(rb, builtins.slice(0, 2 * hidden)))
            rbh = ops.getitem(rb, builtins.slice(2 * hidden, 3 * hidden))
        z = f(_clip(n, ops.add(xz, _gate(hz, 0, hidden))))
        rr = f(_clip(n, ops.add(xr, _gate(hz, 1, hidden))))
        if n["linear_before_reset"]:
            hr = ops.matmul(h, rh, transpose_b=True)
            if rb is not None:
                hr = ops.add(hr, rbh)
            cand = ops.mul(rr, hr)
        else:
            cand = ops.matmul(ops.mul(rr, h), rh, transpose_b=True)
            if rb is not None:
                cand = ops.add(cand, rbh)
        hh = g(_clip(n, ops.add(xh, cand)))
        h = ops.add(ops.mul(ops.sub(1.0, z), hh), ops.mul(z, h))
        return h, c
    y, y_h, _ = _run(n, x, w, r, b, h0, step, 3)
    return (y, y_h)[:n.n_outputs]


@mapping("RNN", attrs=_ATTRS, host=(4,), check=_check)
def rnn(n, x, w, r, b=None, lengths=None, h0=None):
    _uniform_lengths(n, lengths, x.shape[1 if n["layout"] else 0])
    acts = _activations(n, ["Tanh"])

    def step(d, xp, h, c, rd, rb):
        z = ops.add(xp, ops.matmul(h, rd, transpose_b=True))
        if rb is not None:
            z = ops.add(z, rb)
        return acts[d](_clip(n, z)), c
    y, y_h, _ = _run(n, x, w, r, b, h0, step, 1)
    return (y, y_h)[:n.n_outputs]
