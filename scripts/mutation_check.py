"""Mutation check: does the test suite notice small deliberate bugs in a module?

    python scripts/mutation_check.py glflow/ops/arithmetic.py tests/ops/test_arithmetic.py \
        [more test files] [--max 40] [--seed 0]

Each mutant changes one thing in the module: an arithmetic operator (+ -, * /), a comparison
(< <=, > >=, == !=), a number (n -> n + 1, 0.5 -> 1.0), True/False, a call to a sibling op
(add/sub, mul/div, greater/greater_equal, less/less_equal, maximum/minimum), or drops a
statement that is a bare call (pool.move_to_end(key)). The mutant runs in a scratch copy of the
repository (this checkout is never touched) against the given tests; a mutant the tests pass
is a survivor, printed with its line. Some survivors are equivalent (the change cannot alter
any result) and need a human to tell. CPU-heavy: run it with `nice`, on a few modules.
"""
import argparse
import ast
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINOPS = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult}
COMPARES = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
            ast.Eq: ast.NotEq, ast.NotEq: ast.Eq}
CALLS = {"add": "sub", "sub": "add", "mul": "div", "div": "mul", "greater": "greater_equal",
         "greater_equal": "greater", "less": "less_equal", "less_equal": "less",
         "maximum": "minimum", "minimum": "maximum"}


def mutation_points(tree):
    """(node, description, apply) for every single change this script makes."""
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and type(node.op) in BINOPS:
            new = BINOPS[type(node.op)]
            yield node, f"{type(node.op).__name__} -> {new.__name__}", _setter(node, "op", new())
        elif (isinstance(node, ast.Compare) and len(node.ops) == 1
              and type(node.ops[0]) in COMPARES):
            new = COMPARES[type(node.ops[0])]
            yield node, f"{type(node.ops[0]).__name__} -> {new.__name__}", _setter(
                node, "ops", [new()])
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            value = node.value
            if isinstance(value, int):
                new = value + 1
            else:
                new = 1.0 if value == 0.5 else value * 2 or 1.0
            yield node, f"{value!r} -> {new!r}", _setter(node, "value", new)
        elif isinstance(node, ast.Constant) and isinstance(node.value, bool):
            yield node, f"{node.value} -> {not node.value}", _setter(node, "value", not node.value)
        elif isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(
                node.func, "id", None)
            if name in CALLS:
                field = "attr" if isinstance(node.func, ast.Attribute) else "id"
                yield node, f"{name}() -> {CALLS[name]}()", _setter(node.func, field, CALLS[name])
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            yield node, "statement dropped", _setter(node, "value", ast.Constant(None))


def _setter(node, field, value):
    def apply():
        old = getattr(node, field)
        setattr(node, field, value)
        return lambda: setattr(node, field, old)
    return apply


def in_docstring_or_message(node, parents):
    """Numbers inside f-strings (error messages) change no result: skip them."""
    return any(isinstance(p, ast.JoinedStr) for p in parents.get(id(node), ()))


def parent_chains(tree):
    chains = {}

    def visit(node, chain):
        chains[id(node)] = chain
        for child in ast.iter_child_nodes(node):
            visit(child, chain + (node,))
    visit(tree, ())
    return chains


def run_tests(scratch, tests, timeout):
    env = dict(os.environ, PYTHONPATH=str(scratch), GLFLOW_BACKEND="gl")
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p",
                               "no:cacheprovider", *tests], cwd=scratch, env=env,
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return "timeout"
    return "survived" if done.returncode == 0 else "killed"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", help="a file of the package, e.g. glflow/ops/arithmetic.py")
    parser.add_argument("tests", nargs="+", help="test files (or node ids) that should notice")
    parser.add_argument("--max", type=int, default=40, help="mutants to try (a seeded sample)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per mutant run")
    args = parser.parse_args()
    source = (ROOT / args.module).read_text()
    tree = ast.parse(source)
    parents = parent_chains(tree)
    points = [p for p in mutation_points(tree) if not in_docstring_or_message(p[0], parents)]
    random.Random(args.seed).shuffle(points)
    points = points[:args.max]
    with tempfile.TemporaryDirectory(prefix="glflow-mutants-") as tmp:
        scratch = Path(tmp) / "repo"
        shutil.copytree(ROOT, scratch, ignore=shutil.ignore_patterns(
            ".git", ".venv", "__pycache__", ".hypothesis", "*.egg-info"))
        target = scratch / args.module
        baseline = run_tests(scratch, args.tests, args.timeout)
        if baseline != "survived":
            sys.exit(f"the tests fail without any mutation ({baseline}): fix them first")
        survivors = []
        for node, what, apply in sorted(points, key=lambda p: p[0].lineno):
            undo = apply()
            try:
                target.write_text(ast.unparse(tree))
            finally:
                undo()
            outcome = run_tests(scratch, args.tests, args.timeout)
            line = source.splitlines()[node.lineno - 1].strip()
            print(f"{outcome:8s} {args.module}:{node.lineno}: {what}    {line}", flush=True)
            if outcome == "survived":
                survivors.append((node.lineno, what, line))
        target.write_text(source)
    print(f"\n{len(survivors)} of {len(points)} mutants survived in {args.module}")
    for lineno, what, line in survivors:
        print(f"  {args.module}:{lineno}: {what}    {line}")


if __name__ == "__main__":
    main()
