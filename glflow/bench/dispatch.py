"""dispatch: a chain of tiny dependent ops through glflow vs a raw moderngl loop doing the same
draws, in the same run, on the same context.

Each op is `y = add(y, c)` on 16 float32 elements (4 texels): the GPU work is nothing, so the
time per op is dispatch: Python, driver submission, and on llvmpipe the wake-up of its
rasteriser threads, which every dependent draw waits for (13-100 us depending on load). The raw
loop compiles glflow's own generated source for that op, ping-pongs two textures through two
cached framebuffers, binds the constant input once and sets its uniforms once: the least a
hand-written moderngl program could do. glflow's overhead per op is the difference, for a
tensor operand and for a Python scalar one (`y = y + 0.5`), measured with host forwarding off
so that every glflow op is a draw too; as shipped, these 16-element adds run on the host
(backends/gl/host.py), and the two "host forwarding" rows time that.

Two clocks: wall time (what a user waits) and this thread's CPU time (the host-side cost, which
leaves out llvmpipe's worker threads). With LP_NUM_THREADS=0 llvmpipe draws in the calling
thread, so the rows with llvmpipe_threads = 0 give glflow's host overhead alone; the suite
measures in this process with the threads glflow got (Mesa's default: one per CPU) and again in
a child process with the other setting (0, or one per CPU when this process has none). With
threads both clocks swing with how fast llvmpipe's threads wake (the raw loop alone ranged
25-80 us/op between runs on the 2-core CI machine), so the target is judged on the
single-threaded rows.
"""
import json
import os
import statistics
import subprocess
import sys

import numpy as np

import moderngl

import glflow as gf
from glflow.runtime import state

from . import harness, rawgl

DESCRIPTION = "chain of tiny dependent ops: glflow vs a raw moderngl loop (us/op)"
ELEMENTS = 16
TARGET_US = 15.0  # the kernel-floor issue's target, for tensor and scalar operands


class RawLoop:
    """The same add kernel, driven with bare moderngl calls (rawgl.RawAdd)."""

    def __init__(self, backend, c_value):
        self.backend = backend
        with backend.gl as ctx:
            self.add = rawgl.RawAdd(backend, ELEMENTS)
            lay = self.add.layout
            self.ping = [rawgl.texture(ctx, lay.width, lay.rows) for _ in range(2)]
            self.const = rawgl.texture(ctx, lay.width, lay.rows,
                                       np.full(lay.texels * 4, c_value, np.float32))
            self.fbos = [self.add.framebuffer(ctx, t) for t in self.ping]
        self.last = 0

    def chain(self, n):
        with self.backend.gl:
            self.ping[0].write(np.zeros(self.add.layout.texels * 4, np.float32))
            self.add.bind(self.const, 1)
            render, triangles = self.add.vao.render, moderngl.TRIANGLES
            fences = self.add.fences  # with rasteriser threads (rawgl's module doc)
            for i in range(n):
                src = i & 1
                self.fbos[1 - src].use()
                self.add.bind(self.ping[src], 0)
                render(triangles, vertices=3)
                if fences is not None:
                    fences.submitted()
            self.last = n & 1

    def result(self):
        with self.backend.gl:
            raw = self.ping[self.last].read()
        return np.frombuffer(raw, np.float32)[:ELEMENTS]

    def release(self):
        with self.backend.gl:
            for obj in self.fbos + self.ping + [self.const]:
                obj.release()
            self.add.release()


def measure(n_ops, reps):
    """Rows (wall and thread-CPU us/op per variant) and the paired overheads over the raw loop
    of a tensor operand (`gf.add(y, c)`) and a Python scalar one (`y + 0.5`), with every op
    drawn (host forwarding off); the same two chains as shipped, where these 16-element adds
    run on the host (backends/gl/host.py), are rows of their own."""
    b = state.backend()
    c_value = 0.5
    x0 = gf.zeros([ELEMENTS])
    c = gf.fill([ELEMENTS], c_value)
    box = {}

    def chain(step, forward):
        def run():
            with harness.host_forwarding(forward):
                y = x0
                for _ in range(n_ops):
                    y = step(y)
                box[run] = y
        return run

    def tensor_step(y):
        return gf.add(y, c)

    def scalar_step(y):
        return y + c_value

    raw = RawLoop(b, c_value)
    a_np = np.zeros(ELEMENTS, np.float32)
    c_np = np.full(ELEMENTS, c_value, np.float32)

    def numpy_chain():
        a_np[:] = 0.0
        for _ in range(n_ops):
            np.add(a_np, c_np, out=a_np)

    def raw_chain():
        raw.chain(n_ops)

    def result_of(fn):
        return lambda: box[fn].numpy()
    chains = [("glflow gf.add", chain(tensor_step, False)),
              ("glflow y + 0.5", chain(scalar_step, False)),
              ("glflow gf.add, host forwarding", chain(tensor_step, True)),
              ("glflow y + 0.5, host forwarding", chain(scalar_step, True))]
    variants = [(name, fn, result_of(fn), True) for name, fn in chains[:2]]
    variants += [("raw moderngl", raw_chain, raw.result, True)]
    variants += [(name, fn, result_of(fn), True) for name, fn in chains[2:]]
    variants += [("numpy np.add(out=)", numpy_chain, lambda: a_np, False)]
    want = np.full(ELEMENTS, n_ops * c_value, np.float32)
    checks = {}
    for name, fn, result, _ in variants:  # correctness first, outside the timed rounds
        fn()
        checks[name] = bool(np.array_equal(result(), want))
    wall, cpu = [], []
    harness.measure_interleaved([v[1] for v in variants], reps=reps, warmup=1,
                                sync=[v[3] for v in variants], clock=wall, cpu_clock=cpu)
    raw.release()
    us = 1e6 / n_ops
    rows = [{"variant": name, "wall_us_per_op": statistics.median(w) * us,
             "cpu_us_per_op": statistics.median(t) * us, "correct": checks[name]}
            for (name, *_), w, t in zip(variants, wall, cpu)]
    return rows, {"wall": harness.paired_median(wall[0], wall[2]) * us,
                  "cpu": harness.paired_median(cpu[0], cpu[2]) * us,
                  "scalar_wall": harness.paired_median(wall[1], wall[2]) * us,
                  "scalar_cpu": harness.paired_median(cpu[1], cpu[2]) * us}


def in_child(n_ops, reps, lp_threads):
    """The same measurement in a child process whose llvmpipe runs `lp_threads` rasteriser
    threads (LP_NUM_THREADS; the thread count is fixed when a process makes its context).
    None when the child fails."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, LP_NUM_THREADS=str(lp_threads), GLFLOW_BACKEND="gl")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    code = ("import json; from glflow.bench import dispatch; "
            f"print(json.dumps(dispatch.measure({n_ops}, {reps})))")
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                              text=True, timeout=600, check=False)
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (subprocess.SubprocessError, ValueError, IndexError):
        return None


def run(quick=False):
    n_ops = 500 if quick else 2000
    reps = 5 if quick else 11
    b = state.backend()
    if b.name != "gl":
        return {"rows": [], "summary": {"skipped": f"backend is {b.name}, not gl"}}
    threads = gf.backend_info().get("llvmpipe_threads")  # None: not llvmpipe
    rows, overhead = measure(n_ops, reps)
    for row in rows:
        row["llvmpipe_threads"] = threads if threads is not None else "n/a"
    summary = {"ops_per_chain": n_ops, "elements": ELEMENTS,
               "glflow_overhead_wall_us_per_op": overhead["wall"],
               "glflow_overhead_cpu_us_per_op": overhead["cpu"],
               "glflow_scalar_overhead_wall_us_per_op": overhead["scalar_wall"],
               "glflow_scalar_overhead_cpu_us_per_op": overhead["scalar_cpu"]}
    # The target is judged on single-threaded llvmpipe where it is measured: with rasteriser
    # threads the wall-clock difference mostly measures how fast llvmpipe's threads woke in
    # each loop. On llvmpipe the other thread setting runs in a child, for comparison.
    single = overhead if threads in (None, "0") else None
    if threads is not None:
        other = str(os.cpu_count() or 2) if threads == "0" else "0"
        child = in_child(n_ops, reps, other)
        if child is not None:
            child_rows, child_overhead = child
            for row in child_rows:
                row["llvmpipe_threads"] = other
            rows += child_rows
            if other == "0":
                single = child_overhead
            else:
                summary["glflow_overhead_threaded_wall_us_per_op"] = child_overhead["wall"]
        if threads != "0":
            summary["glflow_overhead_threaded_wall_us_per_op"] = overhead["wall"]
    if single is not None:
        summary["glflow_overhead_single_thread_us_per_op"] = single["wall"]
        summary["glflow_scalar_overhead_single_thread_us_per_op"] = single["scalar_wall"]
    judged = (max(single["wall"], single["scalar_wall"]) if single is not None
              else overhead["wall"])
    summary.update({
        "target": f"glflow overhead <= {TARGET_US} us/op for tensor and scalar operands, every "
                  "op drawn (paired median; single-threaded llvmpipe when measured, else wall "
                  "clock)",
        "target_met": judged <= TARGET_US,
    })
    return {"rows": rows, "summary": summary,
            "settings": {"reps": reps, "warmup": 1, "ops_per_chain": n_ops}}
