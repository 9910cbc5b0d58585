"""`glflow run MODEL --input x.npy|images/ --output y.npy`: a model file over a batch of inputs.

In this process by default; on Dask workers with `--workers N` (a LocalCluster) or
`--scheduler ADDR` (an existing cluster). Rows of the output follow the input: the .npy's rows,
or the image files sorted by name. An input that cannot be read (a corrupt image) gets NaN
rows (0 for integer outputs), is listed on stderr with its index and error, and makes the exit
status 1; every other input still gets its result. Bad arguments exit with status 2 and one
line saying what is wrong."""
import argparse
import os
import sys
import time

import numpy as np

import glflow as gf

from . import inference
from .atomic_write import atomic_write

try:  # tqdm is optional (the `train` and `dev` extras install it)
    import tqdm
except ImportError:
    tqdm = None

MODEL_SUFFIXES = (".glflow", ".keras", ".h5", ".hdf5", ".onnx", ".json")


class UsageError(Exception):
    """An argument that cannot work: reported in one line, exit status 2."""


def is_model_file(path):
    """Whether `glflow run PATH` means a model (by its suffix) rather than a Python script."""
    return os.fspath(path).lower().endswith(MODEL_SUFFIXES)


def _parser():
    p = argparse.ArgumentParser(prog="glflow run MODEL",
                                description="Run a model file over a batch of inputs.")
    p.add_argument("--input", required=True,
                   help="a .npy array of samples (rows), or a folder of images")
    p.add_argument("--output", required=True,
                   help="where the outputs go: .npy (.npz for a model with several outputs)")
    p.add_argument("--batch-size", type=int, default=64, help="samples per model call")
    p.add_argument("--workers", type=int, default=None,
                   help="run on a local Dask cluster of N worker processes")
    p.add_argument("--scheduler", default=None,
                   help="run on an existing Dask cluster (tcp://host:8786)")
    p.add_argument("--bench", action="store_true",
                   help="print setup time, run time and inputs per second")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def main(model, argv):
    args = _parser().parse_args(argv)
    try:
        return _run(model, args)
    except UsageError as exc:
        print(f"glflow run: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError, TypeError, ImportError) as exc:
        print(f"glflow run: {exc}", file=sys.stderr)
        return 2


def _run(model, args):
    if args.batch_size < 1:
        raise UsageError(f"--batch-size must be positive, got {args.batch_size}")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be positive, got {args.workers}")
    if args.workers is not None and args.scheduler:
        raise UsageError("give --workers (a local cluster) or --scheduler (an existing one), "
                         "not both")
    if not os.path.isfile(model):
        raise UsageError(f"no model file {model!r}")
    source, is_images = _read_input(args.input)
    out_path = _checked_output(args.output)
    began = time.perf_counter()
    predictor = inference.load_predictor(model)
    if is_images:
        shape = inference.image_shape("glflow run", predictor.inputs[0])
        specs = predictor.output_specs("glflow run", shape, np.float32)
    else:
        shape = source.shape[1:]
        specs = predictor.output_specs("glflow run", shape, source.dtype)
    if len(specs) > 1 and not out_path.endswith(".npz"):
        raise UsageError(f"the model has {len(specs)} outputs "
                         f"({', '.join(s.name for s in specs)}); give --output NAME.npz")
    outs = [np.empty((len(source),) + tuple(s.shape[1:]), s.dtype) for s in specs]
    runner = _distributed_batches if (args.workers or args.scheduler) else _local_batches
    failures, setup, ran = runner(model, predictor, source, is_images, shape, specs, args,
                                  outs, began)
    _save(out_path, specs, outs)
    count = len(source)
    if args.bench:
        where = (f"{args.workers} local workers" if args.workers
                 else f"cluster {args.scheduler}" if args.scheduler else "this process")
        print(f"{count} inputs on {where}, batch {args.batch_size}: setup {setup:.2f} s "
              f"(model load and warm-up, cluster start), run {ran:.2f} s, "
              f"{count / ran if ran > 0 else float('inf'):.1f} inputs/s")
    if failures:
        print(f"glflow run: {len(failures)} of {count} inputs could not be read (their rows "
              f"in {out_path} are NaN, or 0 for integer outputs):", file=sys.stderr)
        for failure in sorted(failures, key=lambda f: f.index):
            print(f"  {failure.describe()}", file=sys.stderr)
        return 1
    return 0


def _read_input(path):
    if os.path.isdir(path):
        try:
            return inference.list_images(path), True
        except ValueError as exc:
            raise UsageError(f"--input {exc}") from None
    if not os.path.exists(path):
        raise UsageError(f"no input {path!r} (a .npy file or a folder of images)")
    if not path.lower().endswith(".npy"):
        raise UsageError(f"--input {path!r}: give a .npy file or a folder of images")
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise UsageError(f"--input {path!r} is not a readable .npy file ({exc})") from None
    if array.ndim < 1 or array.dtype.kind not in "biuf":
        raise UsageError(f"--input {path!r} holds {array.dtype} of shape {list(array.shape)};"
                         " give numeric samples as rows")
    return array, False


def _checked_output(path):
    if not path.lower().endswith((".npy", ".npz")):
        raise UsageError(f"--output {path!r}: give a .npy (or .npz) file name")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise UsageError(f"--output {path!r}: folder {folder!r} does not exist")
    return path


def _batch(source, is_images, start, size):
    piece = source[start:start + size]
    return list(piece) if is_images else np.asarray(piece)


def _local_batches(model, predictor, source, is_images, shape, specs, args, outs, began):
    setup = time.perf_counter() - began
    failures = []
    started = time.perf_counter()
    with _progress(len(source), args.quiet) as bar:
        for start in range(0, len(source), args.batch_size):
            piece = _batch(source, is_images, start, args.batch_size)
            if is_images:
                results, failed = inference.predict_images(predictor, piece, start, shape,
                                                           specs, strict=False)
                failures += failed
            else:
                results = inference.predict_rows(predictor, piece)
            for out, result in zip(outs, results):
                out[start:start + len(piece)] = result
            bar.update(len(piece))
    return failures, setup, time.perf_counter() - started


def _distributed_batches(model, predictor, source, is_images, shape, specs, args, outs,
                         began):
    distributed = gf.distributed  # dask loads here: only runs on a cluster need it
    if args.scheduler:
        try:
            client = distributed.connect(args.scheduler)
        except OSError as exc:  # refused, unknown host, timed out
            raise UsageError(f"cannot reach the Dask scheduler at {args.scheduler!r} "
                             f"({type(exc).__name__}: {exc})") from None
    else:
        client = distributed.local_client(args.workers)
    try:
        ref = distributed.prepare(client, model, shape,
                                  np.float32 if is_images else source.dtype)
        setup = time.perf_counter() - began
        started = time.perf_counter()
        batches = ((start, _batch(source, is_images, start, args.batch_size))
                   for start in range(0, len(source), args.batch_size))
        failures = []
        with _progress(len(source), args.quiet) as bar:
            for start, results, failed in distributed.run_batches(
                    client, ref, batches, is_images, shape, specs, args.batch_size):
                failures += failed
                for out, result in zip(outs, results):
                    out[start:start + len(result)] = result
                bar.update(len(results[0]))
        return failures, setup, time.perf_counter() - started
    finally:
        if not args.scheduler:
            cluster = client.cluster
            client.close()
            cluster.close()
        else:
            client.close()


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def _progress(total, quiet):
    if quiet or tqdm is None:
        return _NoBar()
    return tqdm.tqdm(total=total, unit="input", file=sys.stderr, dynamic_ncols=True)


def _save(path, specs, outs):
    """Written aside in the target folder and renamed: a crash never leaves half a file."""
    with atomic_write(path) as f:
        if path.lower().endswith(".npz"):
            np.savez(f, **{_key(s.name, i): out for i, (s, out) in enumerate(zip(specs, outs))})
        else:
            np.save(f, outs[0])


def _key(name, index):
    clean = "".join(c if c.isalnum() or c == "_" else "_" for c in str(name))
    return clean or f"output_{index}"
