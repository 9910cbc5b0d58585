"""The architecture contract of docs/architecture.md, checked on every test run:
- import-linter's contracts in .importlinter (layers point down, backends stand on the runtime
  alone, nothing above the ops knows a backend, no import cycle among sibling modules);
- no glflow import hides inside a function (a cycle deferred into a function is still a cycle);
- every op family has its numpy twin under the same name, and every elementwise kernel's GLSL
  sits in shaders/<family>/.
"""
import ast
import subprocess
import sys
from pathlib import Path

from glflow import ops
from glflow.backends.numpy import backend as numpy_backend
from glflow.runtime import registry

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "glflow"


def test_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter")], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout


def _function_level_glflow_imports(path):
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for inner in ast.walk(node):
                if isinstance(inner, ast.ImportFrom) and (inner.level > 0 or (
                        inner.module or "").split(".")[0] == "glflow"):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
                elif isinstance(inner, ast.Import) and any(
                        alias.name.split(".")[0] == "glflow" for alias in inner.names):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno}")
    return found


def test_no_glflow_import_inside_a_function():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        found += _function_level_glflow_imports(path)
    assert not found, "imports of glflow modules inside functions: " + ", ".join(found)


def test_every_family_has_its_numpy_twin_shader_folder_and_tests():
    families = {k.family for k in registry.REGISTRY.values()}
    twins = {m.__name__.rsplit(".", 1)[-1] for m in numpy_backend.FAMILIES}
    op_modules = {m.__name__.rsplit(".", 1)[-1] for m in ops.FAMILIES}
    assert families - {"fused"} <= twins, sorted(families - twins)
    assert families - {"fused"} <= op_modules, sorted(families - op_modules)
    for family in op_modules:
        tests = ROOT / "tests" / "ops" / f"test_{family}.py"
        assert tests.is_file(), f"op family {family}: no {tests.relative_to(ROOT)}"
    for kernel in registry.REGISTRY.values():
        if kernel.pattern == registry.ELEMENTWISE and kernel.name != "fused":
            glsl = ROOT / "shaders" / kernel.family / f"{kernel.name}.glsl"
            assert glsl.is_file(), f"{kernel.name}: no {glsl.relative_to(ROOT)}"
            assert kernel.name in numpy_backend.KERNELS, f"{kernel.name}: no numpy twin"


def test_the_op_families_import_in_their_declared_order():
    """ops.FAMILIES lists the families bottom-up: a family imports only those before it."""
    order = {m.__name__: i for i, m in enumerate(ops.FAMILIES)}
    for module in ops.FAMILIES:
        tree = ast.parse(Path(module.__file__).read_text())
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level == 1 and node.module:
                name = f"glflow.ops.{node.module}"
                if name in order:
                    assert order[name] < order[module.__name__], (
                        f"{module.__name__} imports {name}, which comes later in ops.FAMILIES")


def test_no_file_of_the_package_is_asking_to_be_split():
    """STYLE.md's line budget: a file past ~500 lines is doing more than one job."""
    long = [f"{p.relative_to(ROOT)} ({n})" for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 500]
    assert not long, ", ".join(long)
