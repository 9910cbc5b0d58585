"""gf.distributed on a LocalCluster of 2 worker processes (one thread, one GL context each):
results identical to one process, a worker killed mid-run loses nothing, unreadable inputs
reported by index, bad models and shapes refused before anything is scheduled.

Every wait is bounded: dask calls take timeouts, and a watchdog ends the test process with a
traceback if the module runs past WATCHDOG_S (a hung cluster must not hang CI)."""
import faulthandler
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

import dask  # noqa: E402
import dask.array as da  # noqa: E402
import dask.bag as db  # noqa: E402

import glflow as gf  # noqa: E402
from glflow import inference  # noqa: E402
from glflow.__main__ import main as glflow_main  # noqa: E402
from glflow.distributed import cluster, worker  # noqa: E402
from glflow.runtime import counters  # noqa: E402
from glflow.runtime.devices import Device  # noqa: E402

from test_inference import small_cnn, write_images  # noqa: E402

WATCHDOG_S = 600
WAIT_S = 120  # the longest any single result may take, cluster under load included
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def client():
    faulthandler.dump_traceback_later(WATCHDOG_S, exit=True)
    c = cluster.local_client(2)
    try:
        c.wait_for_workers(2, timeout=WAIT_S)
        yield c
    finally:
        local = c.cluster
        c.close(timeout=30)
        local.close(timeout=30)
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "cnn.glflow"
    small_cnn(path)
    return path


def computed(client, arrays):
    return client.compute(arrays).result(timeout=WAIT_S)


def one_process(path, x, batch_size):
    """The same batches through the same model in this process."""
    p = inference.load_predictor(path)
    return np.concatenate([p(x[at:at + batch_size])[0] for at in range(0, len(x), batch_size)])


def scheduler_state(client):
    """The keys the scheduler knows (earlier tests' may still be leaving) and its plugins."""
    def state(dask_scheduler):
        return set(dask_scheduler.tasks), sorted(dask_scheduler.worker_plugins)
    return client.run_on_scheduler(state)


def test_results_identical_to_one_process_and_each_worker_loads_once(client, model_path):
    x = np.random.RandomState(0).rand(37, 6, 7, 3).astype(np.float32)
    preds = gf.distributed.predict(str(model_path), x, batch_size=5, client=client)
    assert isinstance(preds, da.Array) and preds.shape == (37, 3)
    np.testing.assert_array_equal(computed(client, preds), one_process(model_path, x, 5))
    again = gf.distributed.predict(str(model_path), x[:9], batch_size=5, client=client)
    np.testing.assert_array_equal(computed(client, again), one_process(model_path, x[:9], 5))

    def worker_side(dask_worker):
        plugins = [p for name, p in dask_worker.plugins.items()
                   if name.startswith("glflow-model-")]
        info = gf.backend_info()
        return (os.getpid(), gf.get_backend(), info["renderer"], info["llvmpipe_threads"],
                [p.loads for p in plugins])
    seen = client.run(worker_side)
    assert len(seen) == 2
    for pid, backend, renderer, threads, loads in seen.values():
        assert pid != os.getpid() and backend == "gl" and renderer
        # one worker per core: no rasteriser threads unless the user asked (None: another
        # driver)
        assert threads in (None, os.environ.get("LP_NUM_THREADS", "0"))
        assert loads in ([0], [1])  # one model, loaded at most once however many batches


def test_dask_array_input_stays_lazy_until_computed(client, model_path):
    x = np.random.RandomState(1).rand(23, 6, 7, 3).astype(np.float32)
    lazy = da.from_array(x, chunks=(4, 6, 7, 3))
    preds = gf.distributed.predict(str(model_path), lazy, batch_size=3, client=client)
    keys = set(dask.core.flatten(preds.__dask_keys__()))

    def known(dask_scheduler, keys=tuple(keys)):
        return sum(k in dask_scheduler.tasks for k in keys)
    assert client.run_on_scheduler(known) == 0
    assert preds.chunks[0] == lazy.chunks[0]  # a chunk is a task, run 3 rows at a time
    np.testing.assert_array_equal(computed(client, preds), one_process(model_path, x, 3))


def test_image_paths_and_bags_in_input_order(client, model_path, tmp_path):
    paths = write_images(tmp_path, 11)
    p = inference.load_predictor(model_path)
    images = np.stack([inference.read_image(path, (6, 7, 3)) for path in paths])
    expected = p(images)[0]
    preds = gf.distributed.predict(str(model_path), paths, batch_size=4, client=client)
    np.testing.assert_array_equal(computed(client, preds), expected)
    bag = db.from_sequence(list(images[:5]) + paths[5:], npartitions=3)
    from_bag = gf.distributed.predict(str(model_path), bag, batch_size=2, client=client)
    assert np.isnan(from_bag.shape[0])  # a bag's length is known once computed
    np.testing.assert_array_equal(computed(client, from_bag), expected)


def test_corrupt_image_is_reported_by_index(client, model_path, tmp_path):
    paths = write_images(tmp_path, 10)
    Path(paths[6]).write_bytes(b"GIF89a broken")
    Path(paths[7]).write_bytes(b"")
    preds = gf.distributed.predict(str(model_path), paths, batch_size=4, client=client)
    with pytest.raises(gf.distributed.InputError) as err:
        computed(client, preds)
    assert [(f.index, f.source) for f in err.value.failures] == [(6, paths[6]), (7, paths[7])]
    assert "input 6 (" in str(err.value)
    # batch by batch (glflow run --workers): every other input still gets its result
    p = inference.load_predictor(model_path)
    specs = p.output_specs("test", (6, 7, 3), np.float32)
    ref = gf.distributed.prepare(client, str(model_path), (6, 7, 3), np.float32)
    got = {}
    failures = []
    for start, outs, failed in gf.distributed.run_batches(
            client, ref, ((at, paths[at:at + 4]) for at in range(0, 10, 4)), True,
            (6, 7, 3), specs, 4):
        got[start] = outs[0]
        failures += failed
    assert sorted(f.index for f in failures) == [6, 7]
    rows = np.concatenate([got[k] for k in sorted(got)])
    good = [i for i in range(10) if i not in (6, 7)]
    images = np.stack([inference.read_image(paths[i], (6, 7, 3)) for i in good])
    np.testing.assert_array_equal(rows[good], p(images)[0])
    assert np.isnan(rows[[6, 7]]).all()


def test_bad_model_and_shape_mismatch_refused_before_scheduling(client, model_path, tmp_path):
    before = scheduler_state(client)
    x = np.zeros((8, 6, 7, 3), np.float32)
    with pytest.raises(FileNotFoundError, match="no model file"):
        gf.distributed.predict(str(tmp_path / "nope.glflow"), x, client=client)
    (tmp_path / "bad.glflow").write_bytes(b"\x89GLF\r\n\x1a\n" + b"\0" * 40)
    with pytest.raises(ValueError, match="bad.glflow"):
        gf.distributed.predict(str(tmp_path / "bad.glflow"), x, client=client)
    with pytest.raises(ValueError, match=r"takes inputs of shape \[None, 6, 7, 3\]; the "
                                         r"data's samples have shape \[7, 6, 3\]"):
        gf.distributed.predict(str(model_path), np.zeros((8, 7, 6, 3)), client=client)
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        gf.distributed.predict(str(model_path), x, batch_size=0, client=client)
    with pytest.raises(ValueError, match="fn failed on one sample"):
        gf.distributed.map_batches(lambda b: gf.matmul(gf.tensor(b), gf.ones([5, 2])),
                                   np.zeros((4, 3), np.float32), client=client)
    tasks, plugins = scheduler_state(client)
    assert not tasks - before[0] and plugins == before[1]


def test_worker_killed_mid_run_loses_no_result(client, model_path):
    x = np.random.RandomState(2).rand(120, 6, 7, 3).astype(np.float32)
    expected = one_process(model_path, x, 2)
    pids = client.run(os.getpid)
    preds = gf.distributed.predict(str(model_path), x, batch_size=2, client=client)
    futures = client.futures_of(preds)
    deadline = time.monotonic() + WAIT_S
    victim = None
    while victim is None and time.monotonic() < deadline:
        busy = [w for w, keys in client.processing().items() if keys and w in pids]
        victim = busy[0] if busy else None
        if victim is None:
            time.sleep(0.005)
    assert victim is not None, "no worker ever held a batch"
    done_at_kill = sum(f.done() for f in futures)
    os.kill(pids[victim], signal.SIGKILL)
    assert done_at_kill < len(futures), "the run ended before the kill; use more batches"
    np.testing.assert_array_equal(computed(client, preds), expected)
    # the nanny restarts the worker (a new process) for the tests that follow
    deadline = time.monotonic() + WAIT_S
    while True:
        now = client.run(os.getpid, on_error="ignore")
        if len(now) == 2 and pids[victim] not in now.values():
            break
        assert time.monotonic() < deadline, f"no second worker back after the kill: {now}"
        time.sleep(0.2)


def test_map_batches_runs_glflow_ops_on_the_workers(client):
    x = np.random.RandomState(3).rand(29, 5).astype(np.float32)

    def fn(batch):
        t = gf.tensor(batch)
        return gf.relu(t - 0.5) * 2, gf.sum(t, axis=1, keepdims=True)
    scaled, sums = gf.distributed.map_batches(fn, x, batch_size=4, client=client)
    here = [worker.call_function(fn, x[at:at + 4]) for at in range(0, 29, 4)]
    np.testing.assert_array_equal(computed(client, scaled), np.concatenate([h[0] for h in here]))
    np.testing.assert_array_equal(computed(client, sums), np.concatenate([h[1] for h in here]))
    lazy = gf.distributed.map_batches(lambda b: gf.tensor(b) * 3, da.from_array(x, chunks=10),
                                      batch_size=3, client=client)
    np.testing.assert_array_equal(computed(client, lazy), x * np.float32(3))


def test_model_predict_on_a_dask_array_computed_on_the_cluster(client, model_path):
    model = gf.models.load_model(model_path)
    x = np.random.RandomState(4).rand(13, 6, 7, 3).astype(np.float32)
    preds = model.predict(da.from_array(x, chunks=5), batch_size=4)
    assert isinstance(preds, da.Array)
    np.testing.assert_array_equal(computed(client, preds), model.predict(x, batch_size=4))


def test_tfjs_model_travels_with_its_weight_shards(client):
    folder = DATA / "tfjs" / "cnn2d"
    ref = np.load(DATA / "tfjs" / "cnn2d.npz")
    preds = gf.distributed.predict(str(folder / "model.json"), ref["x0"], client=client)
    np.testing.assert_allclose(computed(client, preds), ref["y0"], rtol=1e-4, atol=1e-5)


def test_an_onnx_model_travels_and_runs_compiled_on_the_workers(client):
    # the file's bytes travel (never a loaded model); each worker loads it with
    # gf.onnx.load, whose calls run compiled: the matmuls' epilogues are fused kernels
    path = DATA / "onnx" / "mlp.onnx"
    x = np.random.RandomState(4).standard_normal((11, 16)).astype(np.float32)

    def fused(dask_worker):
        return sum(n for (_, kernel), n in counters.kernel_launches().items()
                   if kernel.startswith("fused"))
    before = client.run(fused)
    preds = gf.distributed.predict(str(path), x, batch_size=4, client=client)
    got = computed(client, preds)
    np.testing.assert_array_equal(got, one_process(path, x, 4))
    eager = gf.onnx.load(str(path), compile=False)
    np.testing.assert_array_equal(got, np.concatenate(
        [eager.run([x[at:at + 4]])[0] for at in range(0, len(x), 4)]))
    after = client.run(fused)
    assert sum(after.values()) > sum(before.values())


def test_devices_pin_workers_and_default_sizes():
    gpu = Device(0, software=False)
    soft = Device(2, software=True)
    assert cluster.default_workers([gpu, Device(1, software=False), soft], 16) == 2
    assert cluster.default_workers([soft], 2) == 2
    assert cluster.default_workers([], 3) == 3
    assert cluster.gpu_indices([gpu, soft]) == [0]


def test_device_plugin_sets_each_workers_device(client):
    listed = gf.list_devices()
    if not listed:
        pytest.skip("no EGL device enumeration here")
    client.register_plugin(cluster.DevicePlugin([listed[0].index]), name="glflow-devices")

    def device():
        gf.ones([1]).numpy()  # the worker's context exists
        return gf.backend_info()["device"]
    assert set(client.run(device).values()) == {listed[0].index}


def test_glflow_run_joins_an_existing_cluster(client, model_path, tmp_path, capsys,
                                              monkeypatch):
    x = np.random.RandomState(5).rand(11, 6, 7, 3).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    status = glflow_main(["run", str(model_path), "--input", str(tmp_path / "x.npy"),
                          "--output", str(tmp_path / "y.npy"), "--batch-size", "4",
                          "--scheduler", client.scheduler.address, "--quiet"])
    assert status == 0, capsys.readouterr().err
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), one_process(model_path, x, 4))
    assert len(client.scheduler_info()["workers"]) == 2  # the cluster is left running

    real_connect = gf.distributed.connect
    monkeypatch.setattr(gf.distributed, "connect",
                        lambda address: real_connect(address, timeout=2))
    status = glflow_main(["run", str(model_path), "--input", str(tmp_path / "x.npy"),
                          "--output", str(tmp_path / "z.npy"), "--scheduler",
                          "tcp://127.0.0.1:9", "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'" in err
    assert not (tmp_path / "z.npy").exists()
