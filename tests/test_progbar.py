"""fit's progress output: one full line of metrics per epoch, as Keras prints it, on a terminal
of 80 columns and in a pipe or log file alike."""
import io
import re

import numpy as np
import pytest

import glflow as gf
from glflow import callbacks, layers, models

KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")
EPOCHS = 3


class Terminal(io.StringIO):
    """A stream that says it is a terminal (tqdm then sizes its bar from COLUMNS)."""

    def isatty(self):
        return True


def _fit(stream, verbose, use_tqdm=None):
    gf.set_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32) + (x[:, 1] > 0).astype(np.int32)
    model = models.Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    bar = callbacks.ProgbarLogger(verbose, stream=stream, use_tqdm=use_tqdm)
    model.fit(x, y, epochs=EPOCHS, batch_size=8, validation_split=0.2, verbose=0,
              callbacks=[bar])


def _epoch_lines(text):
    """What a reader sees: the last carriage-return segment of every line, escapes removed."""
    visible = [re.sub(r"\x1b\[K", "", line.split("\r")[-1]) for line in text.split("\n")]
    return [line for line in visible if "loss:" in line]


@pytest.mark.parametrize("verbose", [1, 2])
def test_piped_output_has_one_full_line_per_epoch(verbose):
    # Piped to a file, tqdm's refreshes left each epoch's line there 2-3 times.
    out = io.StringIO()
    _fit(out, verbose)
    text = out.getvalue()
    assert text.count(" - loss: ") == EPOCHS, text
    assert "\r" not in text
    for line in _epoch_lines(text):
        assert line.startswith("4/4 - ")
        assert all(f"{key}: " in line for key in KEYS), line
    assert [f"Epoch {e}/{EPOCHS}" in text for e in range(1, EPOCHS + 1)] == [True] * EPOCHS


@pytest.mark.parametrize("use_tqdm", [True, False])
def test_terminal_of_80_columns_keeps_every_metric(monkeypatch, use_tqdm):
    # tqdm's postfix at 80 columns cut off val_loss/val_accuracy on the epoch's last line.
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    out = Terminal()
    _fit(out, 1, use_tqdm=use_tqdm)
    lines = [line for line in _epoch_lines(out.getvalue()) if line.startswith("4/4 - ")]
    assert len(lines) == EPOCHS, out.getvalue()
    for line in lines:
        assert len(line) > 80 and all(f"{key}: " in line for key in KEYS), line
