"""docs/tfjs_and_keras_names.md maps TF.js and Keras names to glflow's: every glflow name in
its tables must exist (imported and looked up attribute by attribute), and every layer class
and gf.train factory glflow exports must be in the table."""
import inspect
import re
from pathlib import Path

import pytest

import glflow as gf

DOC = Path(__file__).resolve().parents[1] / "docs" / "tfjs_and_keras_names.md"
NAME = re.compile(r"`(gf(?:\.\w+)+)")


def table_names():
    """The `gf.` names of the glflow column (the second) of every table row."""
    names = []
    for line in DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or len(cells) < 3 or set(cells[1]) <= {"-", " "}:
            continue
        names += NAME.findall(cells[1])
    return names


def resolve(dotted):
    obj = gf
    for part in dotted.split(".")[1:]:
        obj = getattr(obj, part)
    return obj


def test_every_glflow_name_in_the_table_exists():
    names = table_names()
    assert len(names) > 150, "the table parser found too few names"
    missing = []
    for name in names:
        try:
            resolve(name)
        except AttributeError:
            missing.append(name)
    assert not missing, f"not in glflow: {missing}"


def test_the_table_lists_every_layer_class_and_train_factory():
    listed = set(table_names())
    layer_classes = [n for n in gf.layers.__all__ if inspect.isclass(getattr(gf.layers, n))
                     and issubclass(getattr(gf.layers, n), gf.layers.Layer)
                     and n not in ("Layer", "InputLayer")]
    factories = [f"gf.train.{n}" for n in gf.train.__all__]
    absent = [f"gf.layers.{n}" for n in layer_classes if f"gf.layers.{n}" not in listed]
    absent += [f for f in factories if f not in listed]
    assert not absent, f"exported but not in {DOC.name}: {absent}"


def test_resolve_fails_on_a_missing_name():
    """The check above can fail: a name glflow does not have raises."""
    with pytest.raises(AttributeError):
        resolve("gf.layers.NoSuchLayer")
