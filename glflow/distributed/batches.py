"""Batches submitted one by one with results as they finish, for `glflow run --workers`: a
progress bar wants each batch's end, and a corrupt image in one batch should not stop the
others (each batch returns its failures instead of raising them).

At most a few batches per worker are in flight, so a large input is read and shipped as the
cluster consumes it, not all at once. Each batch's data travels inside its task, so when a
worker dies the scheduler runs its batches again on another."""
from distributed import as_completed

from . import worker

IN_FLIGHT_PER_WORKER = 4


def prepare(client, model, shape, dtype):
    """Ship the model file to every worker and warm it there (see worker.warm_up); returns
    the reference run_batches takes."""
    ref = worker.register(client, model)
    worker.warm_up(client, ref, shape, dtype)
    return ref


def run_batches(client, ref, batches, is_images, shape, specs, batch_size):
    """Yield (start, outputs, failures) for each (start, batch) of `batches` (arrays of rows,
    or lists of image paths), in the order they finish."""
    window = IN_FLIGHT_PER_WORKER * max(1, len(client.scheduler_info()["workers"]))
    pending = iter(batches)
    running = as_completed()
    starts = {}

    def submit_next():
        for start, batch in pending:
            if is_images:
                future = client.submit(worker.run_images, ref, batch, start, shape, specs,
                                       False, pure=False)
            else:
                future = client.submit(worker.run_rows, ref, batch_size, specs, batch, start,
                                       pure=False)
            starts[future.key] = start
            running.add(future)
            return True
        return False

    for _ in range(window):
        if not submit_next():
            break
    for future in running:
        result = future.result()  # an error that is not the data's stops the run here
        outs, failures = result if is_images else (result, [])
        yield starts.pop(future.key), outs, failures
        future.release()
        submit_next()
