"""EGL device listing and choice: gf.list_devices(), gf.set_device(N), GLFLOW_DEVICE, and
`glflow info --devices` (no GL context made by listing)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import glflow as gf
from glflow.runtime import devices
from glflow.runtime.devices import Device

ROOT = Path(__file__).resolve().parents[1]


def python(code, **env):
    full = {k: v for k, v in os.environ.items() if k != "GLFLOW_DEVICE"}
    full.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=120, check=False)


def test_devices_are_listed_in_egl_order():
    listed = gf.list_devices()
    assert [d.index for d in listed] == list(range(len(listed)))
    assert gf.get_backend() != "gl" or listed, "GL runs, so EGL lists its device"
    for d in listed:
        assert isinstance(d.software, bool)
        assert d.describe().startswith(f"{d.index}: ")


def test_set_device_refuses_what_is_no_device(monkeypatch):
    monkeypatch.setattr(devices, "list_devices", lambda: [Device(0, True), Device(1, False)])
    for bad, message in ((-1, "must be >= 0"), ("gpu", "EGL device index"),
                         (2, "there is no EGL device 2; this machine has 2"),
                         (True, "EGL device index")):
        with pytest.raises(ValueError, match=f"set_device: .*{message}"):
            gf.set_device(bad)


def test_set_device_after_first_use_is_an_error(monkeypatch):
    gf.ones([2]).numpy()  # glflow's context exists
    used = devices.in_use()
    assert used == gf.backend_info()["device"]
    monkeypatch.setattr(devices, "list_devices", lambda: [Device(0, True), Device(1, False)])
    other = 1 - used
    with pytest.raises(RuntimeError, match=f"already runs on device {used}; choose the device "
                                           "before the first GL op"):
        gf.set_device(other)
    gf.set_device(used)  # the device in use: nothing to change
    monkeypatch.setattr(devices, "_chosen", None)


def test_the_chosen_device_is_the_one_glflow_runs_on():
    done = python("import glflow as gf; gf.set_device(0); gf.ones([3]).numpy(); "
                  "print(gf.backend_info()['device'], gf.get_backend())")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "gl"]
    done = python("import glflow as gf; gf.ones([3]).numpy(); print(gf.backend_info()['device'])",
                  GLFLOW_DEVICE="0")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0"]


def test_glflow_device_naming_no_device_is_an_error_not_a_fallback():
    count = len(gf.list_devices())
    if not count:
        pytest.skip("no EGL device enumeration here")
    done = python("import glflow as gf; gf.ones([3])", GLFLOW_DEVICE=str(count),
                  GLFLOW_BACKEND="")
    assert done.returncode != 0
    assert f"GLFLOW_DEVICE: there is no EGL device {count}" in done.stderr
    assert "using the numpy" not in done.stderr


def test_info_devices_lists_them_without_a_gl_context():
    done = subprocess.run([sys.executable, "-m", "glflow", "info", "--devices", "--json"],
                          cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert [(d["index"], d["software"]) for d in shown] == [
        (d.index, d.software) for d in gf.list_devices()]
    done = python("import glflow as gf, glflow.runtime.state as s; gf.list_devices(); "
                  "print(s.made_backends() == {}, gf.runtime.devices.in_use())")
    assert done.stdout.split() == ["True", "None"], done.stderr
