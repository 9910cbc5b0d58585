"""One-file saving: exact round trips (predictions, optimizer state, custom objects), and a
clear ValueError for every truncated or corrupted file."""
import json

import numpy as np
import pytest
import safetensors.numpy

import glflow as gf
from glflow import callbacks, layers, metrics, models, optimizers
from glflow.models import safetensors_io, saving


def data(n=24, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3)).astype(np.float32)
    return x, (x.sum(-1) > 0).astype(np.int64)


def trained_sequential():
    gf.set_seed(0)
    model = models.Sequential([layers.Input((3,)), layers.Dense(6, activation="relu",
                                                                kernel_regularizer="l2"),
                               layers.Dense(2, activation="softmax")], name="clf")
    model.compile(optimizers.Adam(0.01, amsgrad=True), "sparse_categorical_crossentropy",
                  metrics=["accuracy", metrics.SparseCategoricalAccuracy(name="acc2")])
    model.fit(*data(), epochs=2, batch_size=8, verbose=0)
    return model


def test_sequential_round_trip_resumes_training_exactly(tmp_path):
    path = tmp_path / "clf.glflow"
    model = trained_sequential()
    model.save(path)
    loaded = models.load_model(path)
    x, y = data(seed=1)
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.name == "clf" and loaded.optimizer.iterations == model.optimizer.iterations
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for m in (model, loaded):
        m.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)  # same slots and step count: same updates
    assert loaded.evaluate(x, y, return_dict=True) == model.evaluate(x, y, return_dict=True)
    uncompiled = models.load_model(path, compile=False)
    assert not uncompiled.compiled


def test_functional_dict_outputs_and_lazy_sequential(tmp_path):
    a, b = layers.Input((3,), name="a"), layers.Input((2,), name="b")
    h = layers.Concatenate()([layers.Dense(4, name="da")(a), b])
    model = models.Model({"a": a, "b": b}, {"p": layers.Dense(1, name="p")(h),
                                            "q": layers.Dense(2, name="q")(h)})
    model.save(tmp_path / "f.glflow")
    loaded = models.load_model(tmp_path / "f.glflow")
    inputs = {"a": np.ones((2, 3), np.float32), "b": np.ones((2, 2), np.float32)}
    got, want = loaded(inputs), model(inputs)
    for key in ("p", "q"):
        np.testing.assert_array_equal(got[key].numpy(), want[key].numpy())
    lazy = models.Sequential([layers.Dense(2)])
    with pytest.raises(ValueError, match="not built yet"):
        lazy.save(tmp_path / "lazy.glflow")
    lazy(np.ones((1, 5), np.float32))
    lazy.save(tmp_path / "lazy.glflow")
    again = models.load_model(tmp_path / "lazy.glflow")
    np.testing.assert_array_equal(again.get_weights()[0], lazy.get_weights()[0])


class Residual(models.Model):
    def __init__(self, width, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.inner = layers.Dense(width, activation="tanh")

    def call(self, x, training=None):
        return gf.add(x, self.inner(x))

    def get_config(self):
        return {"width": self.width, "name": self.name}


def scaled(t, factor=1.0):
    return gf.mul(t, factor)


def sq_error(y_true, y_pred):
    return gf.mean(gf.square(gf.sub(y_pred, gf.cast(y_true, "float32"))), axis=-1)


def test_custom_objects_subclassed_lambda_and_custom_loss(tmp_path):
    net = Residual(3, name="res")
    x = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)
    net(x)
    net.compile("sgd", sq_error)
    net.save(tmp_path / "res.glflow")
    with pytest.raises(ValueError, match="unknown layer class 'Residual'.*custom_objects"):
        models.load_model(tmp_path / "res.glflow")
    with pytest.raises(ValueError, match="compile=False"):
        models.load_model(tmp_path / "res.glflow", custom_objects={"Residual": Residual})
    loaded = models.load_model(tmp_path / "res.glflow",
                               custom_objects={"Residual": Residual, "sq_error": sq_error})
    np.testing.assert_array_equal(loaded(x).numpy(), net(x).numpy())
    assert loaded.compiled
    inp = layers.Input((3,))
    lam = models.Model(inp, layers.Lambda(scaled, arguments={"factor": 3.0})(inp))
    lam.save(tmp_path / "lam.glflow")
    back = models.load_model(tmp_path / "lam.glflow", custom_objects={"scaled": scaled})
    np.testing.assert_array_equal(back(x).numpy(), 3.0 * x)


def test_save_and_load_weights(tmp_path):
    model = trained_sequential()
    model.save_weights(tmp_path / "w.glflow")
    fresh = models.Sequential([layers.Input((3,)), layers.Dense(6), layers.Dense(2)])
    fresh.load_weights(tmp_path / "w.glflow")
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    wrong = models.Sequential([layers.Input((3,)), layers.Dense(5), layers.Dense(2)])
    before = wrong.get_weights()
    with pytest.raises(ValueError, match=r"shape \[3, 6\].*has \[3, 5\]"):
        wrong.load_weights(tmp_path / "w.glflow")
    for a, b in zip(wrong.get_weights(), before):  # nothing assigned on a mismatch
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="holds 4 weights, the model has 2"):
        models.Sequential([layers.Input((3,)), layers.Dense(2)]).load_weights(tmp_path / "w.glflow")
    with pytest.raises(ValueError, match="holds only weights"):
        models.load_model(tmp_path / "w.glflow")
    net = Residual(3)
    x = np.ones((2, 3), np.float32)
    net(x)
    net.save_weights(tmp_path / "res.glflow")
    unbuilt = Residual(3)
    unbuilt.load_weights(tmp_path / "res.glflow")  # built from the stored input shape first
    np.testing.assert_array_equal(unbuilt(x).numpy(), net(x).numpy())


def test_model_checkpoint_saves_the_best_epoch(tmp_path):
    model = trained_sequential()
    x, y = data(seed=3)
    seen = {}
    probe = callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.__setitem__(epoch, (logs["loss"],
                                                                 model.get_weights())))
    best_only = callbacks.ModelCheckpoint(str(tmp_path / "best.glflow"), monitor="loss",
                                          save_best_only=True)
    model.fit(x, y, epochs=4, batch_size=8, verbose=0, callbacks=[probe, best_only])
    best = min(seen, key=lambda epoch: seen[epoch][0])
    for got, want in zip(models.load_model(tmp_path / "best.glflow").get_weights(),
                         seen[best][1]):
        np.testing.assert_array_equal(got, want)


@pytest.fixture(scope="module")
def saved_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("saved") / "m.glflow"
    gf.set_backend("gl")
    trained_sequential().save(path)
    return path.read_bytes()


def _load_from(tmp_path, blob):
    path = tmp_path / "bad.glflow"
    path.write_bytes(blob)
    return models.load_model(path)


def test_truncated_files_raise_value_error(tmp_path, saved_bytes):
    n_json = int.from_bytes(saved_bytes[12:20], "little")
    cuts = [0, 1, 7, 8, 12, 20, 31, 32, 33, 32 + n_json // 2, 32 + n_json, 32 + n_json + 7,
            32 + n_json + 100, len(saved_bytes) - 1]
    for cut in cuts:
        with pytest.raises(ValueError, match="not a glflow model file|truncated"):
            _load_from(tmp_path, saved_bytes[:cut])
    with pytest.raises(ValueError, match="truncated or padded"):
        _load_from(tmp_path, saved_bytes + b"\0")


def test_flipped_bytes_raise_value_error(tmp_path, saved_bytes):
    n_json = int.from_bytes(saved_bytes[12:20], "little")
    rng = np.random.default_rng(0)
    offsets = list(range(32)) + list(rng.integers(32, 32 + n_json, 40)) + list(
        rng.integers(32 + n_json, len(saved_bytes), 20))
    for at in offsets:
        for bit in (0x01, 0x80):
            blob = bytearray(saved_bytes)
            blob[at] ^= bit
            with pytest.raises(ValueError):
                _load_from(tmp_path, bytes(blob))


def _rewrite(tmp_path, saved_bytes, edit):
    """A file whose checksums are right but whose content was edited: checks past the CRC."""
    source = tmp_path / "source.glflow"
    source.write_bytes(saved_bytes)
    meta, tensors = saving._read(source)
    meta, tensors = edit(meta, tensors)
    target = tmp_path / "edited.glflow"
    saving._write(target, meta, tensors)
    return models.load_model(target)


def test_consistent_but_wrong_content_raises_value_error(tmp_path, saved_bytes):
    def drop_layers(meta, tensors):
        del meta["model"]["config"]["layers"]
        return meta, tensors

    def shrink_weight(meta, tensors):
        tensors["model.00000"] = tensors["model.00000"][:2]
        return meta, tensors

    def lose_weight(meta, tensors):
        del tensors["model.00001"]
        return meta, tensors

    def unknown_class(meta, tensors):
        meta["model"]["config"]["layers"][1]["class_name"] = "Dense9"
        return meta, tensors

    def not_glflow(meta, tensors):
        return {"format": "other"}, tensors
    for edit, message in [(drop_layers, "malformed"), (shrink_weight, r"shape \[2, 6\]"),
                          (lose_weight, "listed but not stored"),
                          (unknown_class, "unknown layer class 'Dense9'"),
                          (not_glflow, "not a glflow model description")]:
        with pytest.raises(ValueError, match=message):
            _rewrite(tmp_path, saved_bytes, edit)


def test_safetensors_layout_matches_the_package():
    tensors = {"b": np.arange(6, dtype=np.float32).reshape(2, 3), "a": np.ones(0, np.float32),
               "c": np.array([1, -2], np.int32)}
    ours = safetensors_io.dumps(tensors)
    theirs = safetensors.numpy.save(tensors)
    for blob in (ours, theirs):
        for reader in (safetensors_io.loads, safetensors.numpy.load):
            back = reader(blob)
            assert set(back) == set(tensors)
            for k, want in tensors.items():
                np.testing.assert_array_equal(back[k], want)
    header = json.loads(ours[8:8 + int.from_bytes(ours[:8], "little")])
    assert header["b"] == {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
    for bad in (ours[:5], ours[:-1], b"\xff" * 8 + ours[8:], ours[:8] + b"[" + ours[9:]):
        with pytest.raises(ValueError):
            safetensors_io.loads(bad)
    with pytest.raises(ValueError, match="safetensors"):
        safetensors_io.load_bytes(ours[:-1])


def test_round_trip_when_some_weights_got_no_gradient(tmp_path):
    # loss None on the second output: its Dense never gets a gradient, so the optimizer
    # holds slots for part of the weights only; the file must still load, slots in place
    gf.set_seed(3)
    a = layers.Input((3,))
    model = models.Model(a, [layers.Dense(2, name="first")(a), layers.Dense(2, name="second")(a)])
    model.compile(optimizers.Adam(0.01), ["mse", None])
    x = data()[0]
    y = [x[:, :2], x[:, 1:]]
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    path = tmp_path / "two.glflow"
    model.save(path)
    loaded = models.load_model(path)
    for m in (model, loaded):
        m.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    slots = [s.numpy() for s in model.optimizer.slots_for(model.trainable_weights)]
    for a, b in zip(slots, loaded.optimizer.slots_for(loaded.trainable_weights)):
        np.testing.assert_array_equal(a, b.numpy())


# --------------------------------------------------------------------------- fuzzing

# Values a mutation puts in place of any JSON value: other types, extreme numbers, nesting.
FUZZ_VALUES = [None, True, 0, -1, 7, 10 ** 12, 2 ** 63, -2 ** 63, 1e308, 1.5, "x", "", [], {},
               [1, 2], {"a": 1}, [None], [[1]], [-5], [10 ** 9, 10 ** 9], "__DEEP__"]
DEEP = "[" * 5000 + "]" * 5000  # past json's and Python's recursion limits


def _json_paths(obj, prefix=()):
    yield prefix
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(
        obj, list) else ()
    for key, value in items:
        yield from _json_paths(value, prefix + (key,))


def _replaced(obj, path, value):
    if not path:
        return value
    obj = json.loads(json.dumps(obj))
    parent = obj
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return obj


def _dumped(obj):
    return json.dumps(obj).replace('"__DEEP__"', DEEP).encode()


def _with_crc(body, blob):
    """A file with this JSON and weights part, lengths and checksum right."""
    header = saving._HEADER.pack(saving.MAGIC, saving.VERSION, len(body), len(blob),
                                 saving.zlib.crc32(blob, saving.zlib.crc32(body)))
    return header + body + blob


def _mutants(saved, count, seed):
    """(what, file bytes): `count` seeded mutations of the model description and as many of
    the safetensors header, each a CRC-valid file."""
    size = saving._HEADER.size
    n_json = int.from_bytes(saved[12:20], "little")
    body, blob = saved[size:size + n_json], saved[size + n_json:]
    meta = json.loads(body)
    n_header = int.from_bytes(blob[:8], "little")
    tensors_header = json.loads(blob[8:8 + n_header])
    rng = np.random.default_rng(seed)
    for doc, dump in ((meta, lambda m: (_dumped(m), blob)),
                      (tensors_header, lambda h: (body, _safetensors_blob(h, blob, n_header)))):
        paths = list(_json_paths(doc))
        for _ in range(count):
            path = paths[rng.integers(len(paths))]
            value = FUZZ_VALUES[rng.integers(len(FUZZ_VALUES))]
            yield (path, value), _with_crc(*dump(_replaced(doc, path, value)))


def _safetensors_blob(header, blob, n_header):
    text = _dumped(header)
    text += b" " * (-len(text) % 8)
    return len(text).to_bytes(8, "little") + text + blob[8 + n_header:]


@pytest.mark.parametrize("reader", ["package", "built-in"])
def test_malformed_but_crc_valid_files_get_the_same_clear_error(tmp_path, saved_bytes,
                                                                 monkeypatch, reader):
    # CRC-valid files with malformed contents raised raw TypeError/RecursionError (and the
    # built-in safetensors reader's size product overflowed); now every one is a ValueError
    # naming the file, as a truncated file is.
    if reader == "built-in":
        monkeypatch.setattr(safetensors_io, "_package", None)
    path = tmp_path / "fuzzed.glflow"
    outcomes = {"loaded": 0, "refused": 0}
    target = trained_sequential()
    for what, blob in _mutants(saved_bytes, 30, seed=0 if reader == "package" else 1):
        path.write_bytes(blob)
        for load, where in ((models.load_model, "load_model"),
                            (target.load_weights, "load_weights")):
            try:
                load(path)
                outcomes["loaded"] += 1
            except ValueError as exc:
                assert str(exc).startswith(f"{where}: {str(path)!r}"), (what, str(exc))
                outcomes["refused"] += 1
            except Exception as exc:  # noqa: BLE001 - the failure this test exists for
                pytest.fail(f"{what}: {type(exc).__name__}: {exc}")
    assert outcomes["refused"] > 40 and outcomes["loaded"] > 10, outcomes


def test_builtin_safetensors_reader_refuses_shapes_whose_size_overflows():
    tensors = {"w": np.zeros(0, np.float32)}
    blob = safetensors_io.dumps(tensors)
    n = int.from_bytes(blob[:8], "little")
    header = json.loads(blob[8:8 + n])
    header["w"]["shape"] = [2 ** 62, 4]  # numpy's int64 product of this is 0: the span fits
    for bad in (header, {"w": dict(header["w"], shape=[1.0])},
                {"w": dict(header["w"], data_offsets=[0, True])}, {"w": [1]}):
        with pytest.raises(ValueError, match="safetensors: "):
            safetensors_io.loads(_safetensors_blob(bad, blob, n))
