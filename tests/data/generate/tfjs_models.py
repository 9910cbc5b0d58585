"""Generate the TensorFlow.js reference models under tests/data/tfjs.

Not run in CI: it needs Node.js and TensorFlow.js (npm), which glflow never depends on.
Install TensorFlow.js outside the repository, then run this with glflow's environment:

    cp -r tests/data/generate/tfjs /tmp/tfjs-check
    (cd /tmp/tfjs-check && npm ci)            # @tensorflow/tfjs 4.22.0, pinned by the lock
    .venv/bin/python tests/data/generate/tfjs_models.py /tmp/tfjs-check/node_modules

TF.js builds each model with its layers API and saves it as model.json + weights.bin
(tfjs/models.js); `mlp_quantized` is the `mlp` model re-stored as the TF.js converter stores
weights (uint8, uint16 and float16 quantization, several shards). TF.js then loads every folder
through its own HTTP loader (tfjs/predict.js) and predicts; `<name>.npz` holds the inputs
(`x0`, ...) and those predictions (`y0`, ...).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "tfjs")

INPUTS = {"mlp": [(5, 6)], "mlp_quantized": [(5, 6)], "cnn2d": [(2, 10, 10, 3)],
          "conv1d": [(3, 12, 3)], "recurrent": [(3, 7, "ids")], "masked": [(4, 6, "padded")],
          "merge": [(3, 6), (3, 6), (3, 2, 3)]}


def make_inputs(specs, rng):
    xs = []
    for spec in specs:
        if spec[-1] == "ids":
            xs.append(rng.integers(0, 20, size=spec[:-1]).astype(np.int32))
        elif spec[-1] == "padded":
            ids = rng.integers(1, 10, size=spec[:-1]).astype(np.int32)
            for row, length in zip(ids, rng.integers(2, spec[1] + 1, size=spec[0])):
                row[length:] = 0
            xs.append(ids)
        else:
            xs.append(rng.normal(size=spec).astype(np.float32))
    return xs


def node_predict(node_modules, model_json, inputs):
    """TF.js' predictions for `inputs` from the model at `model_json`."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "inputs.json"), os.path.join(tmp, "outputs.json")
        with open(src, "w") as f:
            json.dump([{"shape": list(x.shape), "data": x.ravel().tolist(),
                        "dtype": "int32" if x.dtype.kind == "i" else "float32"}
                       for x in inputs], f)
        subprocess.run(["node", os.path.join(HERE, "tfjs", "predict.js"), model_json, src,
                        dst], check=True, env=dict(os.environ, NODE_PATH=node_modules))
        with open(dst) as f:
            return [np.asarray(o["data"], np.float32).reshape(o["shape"]) for o in json.load(f)]


def quantize(values, dtype):
    """The TF.js converter's affine quantization: q = round((v - min) / scale)."""
    if dtype == "float16":
        return values.astype("<f2").tobytes(), {"dtype": "float16"}
    levels = 255 if dtype == "uint8" else 65535
    low, high = float(values.min()), float(values.max())
    scale = (high - low) / levels if high > low else 1.0
    q = np.round((values - low) / scale).astype("u1" if dtype == "uint8" else "<u2")
    return q.tobytes(), {"dtype": dtype, "scale": scale, "min": low}


def write_quantized(source, target, shard_bytes=128):
    with open(os.path.join(source, "model.json")) as f:
        doc = json.load(f)
    with open(os.path.join(source, "weights.bin"), "rb") as f:
        blob = f.read()
    plan = ["uint8", "uint16", None, "float16"]  # by weight index, repeating; None: float32
    specs, chunks, offset = [], [], 0
    for i, spec in enumerate(doc["weightsManifest"][0]["weights"]):
        size = int(np.prod(spec["shape"]))
        values = np.frombuffer(blob[offset:offset + 4 * size], "<f4")
        offset += 4 * size
        if spec.get("group") == "optimizer":
            continue  # the converter keeps no optimizer state
        kind = plan[i % len(plan)]
        spec = dict(spec)
        if kind is None:
            chunks.append(values.tobytes())
        else:
            data, spec["quantization"] = quantize(values, kind)
            chunks.append(data)
        specs.append(spec)
    data = b"".join(chunks)
    count = -(-len(data) // shard_bytes)
    paths = [f"group1-shard{i + 1}of{count}.bin" for i in range(count)]
    os.makedirs(target, exist_ok=True)
    for i, name in enumerate(paths):
        with open(os.path.join(target, name), "wb") as f:
            f.write(data[i * shard_bytes:(i + 1) * shard_bytes])
    doc["weightsManifest"] = [{"paths": paths, "weights": specs}]
    doc.pop("trainingConfig", None)
    doc["convertedBy"] = "glflow tests/data/generate/tfjs_models.py (converter layout)"
    with open(os.path.join(target, "model.json"), "w") as f:
        json.dump(doc, f)


def main(node_modules):
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    subprocess.run(["node", os.path.join(HERE, "tfjs", "models.js"), OUT], check=True,
                   env=dict(os.environ, NODE_PATH=node_modules))
    write_quantized(os.path.join(OUT, "mlp"), os.path.join(OUT, "mlp_quantized"))
    for index, (name, specs) in enumerate(INPUTS.items()):
        inputs = make_inputs(specs, np.random.default_rng(200 + index))
        outputs = node_predict(node_modules, os.path.join(OUT, name, "model.json"), inputs)
        arrays = {f"x{i}": x for i, x in enumerate(inputs)}
        arrays.update({f"y{i}": y for i, y in enumerate(outputs)})
        np.savez(os.path.join(OUT, f"{name}.npz"), **arrays)
        print("tfjs", name, [y.shape for y in outputs])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(os.path.abspath(sys.argv[1]))
