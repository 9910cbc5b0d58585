"""Memory planning: which buffer each intermediate value of a compiled graph lives in.

A value is live from the step that makes it to the last step that reads it. Values whose
lifetimes do not overlap share one buffer, as TensorFlow's and ONNX Runtime's allocation
planners do; a buffer fits a value when the backend files both under the same buffer class
(on GL: the texture width and bucketed row count of the pool, so a buffer serves every size
that shares a pool bucket). The greedy walk in step order is optimal in buffer count for
interval lifetimes within one class (it is interval-graph colouring).

The plan is made once per compiled graph; its buffers are allocated on the first run and kept,
so a compiled step allocates nothing after its first run.
"""


class Lifetime:
    __slots__ = ("key", "cls", "start", "end")

    def __init__(self, key, cls, start, end):
        self.key = key        # what the caller plans (a slot)
        self.cls = cls        # buffer class: values share buffers of one class only
        self.start = start    # step that writes it
        self.end = end        # last step that reads it (start when nothing does)


def assign(lifetimes):
    """({key: buffer index}, [class of each buffer]) for these lifetimes.

    A buffer is free for a value made at step s when every value it held before was last
    read at a step < s: a kernel never reads and writes the same texture."""
    order = sorted(lifetimes, key=lambda lt: (lt.start, lt.end))
    classes = []
    free = {}          # class -> [buffer index]
    busy = []          # (end, buffer index, class), released once end < current start
    placed = {}
    for lt in order:
        still = []
        for end, buf, cls in busy:
            if end < lt.start:
                free.setdefault(cls, []).append(buf)
            else:
                still.append((end, buf, cls))
        busy = still
        pool = free.get(lt.cls)
        if pool:
            buf = pool.pop()
        else:
            buf = len(classes)
            classes.append(lt.cls)
        placed[lt.key] = buf
        busy.append((lt.end, buf, lt.cls))
    return placed, classes
