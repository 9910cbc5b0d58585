"""distributed: batch inference throughput of one model file (a small CNN on 16x16 RGB
images), in images per second: in this process (glflow.inference, the model loaded once, with
the rasteriser threads glflow got), and through gf.distributed.predict on LocalClusters of 1
and 2 worker processes (one thread and one GL context each; on llvmpipe glflow's cluster
workers draw without rasteriser threads, so 2 workers are how they get both cores of a 2-core
machine drawing).

A timed call is the whole user-visible job: from the numpy images in this process to every
prediction back in it (for the clusters: graph, scheduling, shipping the batches, the work,
gathering). Both clusters are started, and the model loaded and warmed on every worker,
before any timing; then the three variants take turns in every round. Every variant's
predictions must equal the one-process ones exactly (same GL kernels, same batches).
"""
import os
import tempfile

import numpy as np

import glflow as gf

from .. import inference
from . import harness

DESCRIPTION = "gf.distributed.predict: images/s in one process vs 1 and 2 Dask workers"
BATCH = 64


def _model(path):
    gf.set_seed(0)
    gf.Sequential([
        gf.layers.Conv2D(16, 3, activation="relu", input_shape=(16, 16, 3)),
        gf.layers.MaxPooling2D(2),
        gf.layers.Conv2D(32, 3, activation="relu"),
        gf.layers.GlobalAveragePooling2D(),
        gf.layers.Dense(10, activation="softmax")]).save(path)


def run(quick=False):
    distributed = gf.distributed  # needs dask: the `distributed` extra
    count = 128 if quick else 512
    reps = 3 if quick else 7
    images = np.random.default_rng(0).random((count, 16, 16, 3), dtype=np.float32)
    with tempfile.TemporaryDirectory(prefix="glflow-bench-") as folder:
        path = os.path.join(folder, "cnn.glflow")
        _model(path)
        predictor = inference.load_predictor(path)
        results = {}

        def one_process():
            results[0] = np.concatenate([predictor(images[at:at + BATCH])[0]
                                         for at in range(0, count, BATCH)])

        clients = {n: distributed.local_client(n) for n in (1, 2)}
        try:
            def on_cluster(n):
                def call():
                    preds = distributed.predict(path, images, batch_size=BATCH,
                                                client=clients[n])
                    results[n] = clients[n].compute(preds).result(timeout=600)
                return call
            for n, client in clients.items():  # model shipped, loaded, compiled everywhere
                client.wait_for_workers(n, timeout=300)
                on_cluster(n)()
            times = harness.measure_interleaved([one_process, on_cluster(1), on_cluster(2)],
                                                reps=reps, warmup=1)
        finally:
            for client in clients.values():
                cluster = client.cluster
                client.close()
                cluster.close()
    rows = []
    for (setup, workers), seconds in zip((("one process", 0), ("1 worker", 1),
                                          ("2 workers", 2)), times):
        rows.append({"setup": setup, "workers": workers, "images": count, "batch": BATCH,
                     "seconds": seconds, "images_per_s": count / seconds,
                     "correct": bool(np.array_equal(results[workers], results[0]))})
    summary = {"images_per_s_one_process": rows[0]["images_per_s"],
               "images_per_s_1_worker": rows[1]["images_per_s"],
               "images_per_s_2_workers": rows[2]["images_per_s"],
               "scaling_2_over_1_workers": times[1] / times[2],
               "speedup_2_workers_over_one_process": times[0] / times[2]}
    return {"rows": rows, "summary": summary,
            "settings": {"reps": reps, "warmup": 1, "images": count, "batch": BATCH,
                         "cores": os.cpu_count(), "threads_per_worker": 1}}
