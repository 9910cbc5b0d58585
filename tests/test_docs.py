"""Every ```python block in README.md and docs/*.md runs, so the docs cannot silently rot.

How a doc author marks a block:
- ```python        runs here: the blocks of one file run in order, in one namespace (a later
                   block may use names an earlier one defined), in a fresh subprocess on the
                   GL backend, with the working directory a temporary folder (files a snippet
                   saves land there).
- ```python norun  highlighted as Python but not run: real code too slow for a test (a
                   60-epoch training run). Prefer a runnable block where one is possible.
- anything else    not run: ```text for pseudo-code or a skeleton with `...`, ```sh or a bare
                   ``` for shell commands. `py`, `python3` and the like are refused below, so
                   no block escapes the test by a spelling slip.
A snippet that uses data it does not define (the README's Keras example takes `x, y, xt, yt`
as given) gets a prelude in PRELUDES, run just before the first block containing a marker
string (so earlier blocks cannot overwrite the data). A failure names the file and the line.
"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
FENCE = re.compile(r"^(`{3,}|~{3,})\s*(.*?)\s*$")
AMBIGUOUS = {"py", "py3", "python3", "python2", "pycon", "ipython"}

# Small data so the README's Keras snippet trains in seconds: 200 digits for training and 100
# for testing, as [n, 8, 8, 1] float32 images in [0, 1] with int labels.
DIGITS = """
import numpy as _np
from sklearn.datasets import load_digits as _load_digits
_d = _load_digits()
_images = (_d.images / 16.0).astype(_np.float32)[..., None]
x, y = _images[:200], _d.target[:200]
xt, yt = _images[200:300], _d.target[200:300]
import glflow as _gf
_gf.set_backend("gl")  # the README's first block ends on the cpu backend; train on GL
"""
PRELUDES = {"README.md": ("model.fit(x, y", DIGITS)}  # file -> (marker, prelude)

# Runs in the subprocess: each block compiled under the doc's name with its own line numbers,
# so a traceback points into the markdown file.
RUNNER = """
import json, sys
namespace = {"__name__": "__main__"}
for name, line, source in json.loads(sys.stdin.read()):
    exec(compile("\\n" * (line - 1) + source, name, "exec"), namespace)
"""


def python_blocks(path):
    """[(first code line, source)] of the ```python blocks of a markdown file, in order."""
    blocks, fence, start, lines = [], None, 0, []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if fence is None:
            match = FENCE.match(line)
            if match:
                fence, info, start, lines = match.group(1), match.group(2), number + 1, []
                language = info.split()[0] if info else ""
                if language.lower() in AMBIGUOUS:
                    pytest.fail(f"{path.name}:{number}: fence ```{info}: write ```python "
                                "for a block that runs, ```text for one that does not")
                runs = info == "python"
        elif line.strip().startswith(fence) and not line.strip().strip(fence[0]):
            if runs:
                blocks.append((start, "\n".join(lines)))
            fence = None
        else:
            lines.append(line)
    assert fence is None, f"{path.name}: a code fence opened on line {start - 1} is not closed"
    return blocks


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(path, tmp_path):
    blocks = python_blocks(path)  # asserts the fences are closed and none spells python oddly
    if not blocks:
        return  # nothing to run: the fence checks above were this document's test
    env = dict(os.environ, GLFLOW_BACKEND="gl", MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    steps = [(path.name, line, source) for line, source in blocks]
    if path.name in PRELUDES:
        marker, prelude = PRELUDES[path.name]
        at = next((i for i, (_, _, source) in enumerate(steps) if marker in source), None)
        assert at is not None, f"{path.name}: no ```python block contains {marker!r}"
        steps.insert(at, ("<prelude of test_docs.py>", 1, prelude))
    done = subprocess.run([sys.executable, "-c", RUNNER], input=json.dumps(steps),
                          cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, f"{path.name}:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
