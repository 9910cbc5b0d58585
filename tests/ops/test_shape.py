"""The shape family (glflow/ops/shape.py): reshape, transpose, broadcast_to, expand_dims, squeeze,
cast, tile, space_to_depth, depth_to_space. gl vs cpu (bit-exact: they copy values), gradients
vs finite differences, results against independent numpy oracles."""
import shutil
import subprocess
import warnings

import numpy as np
import pytest

import glflow as gf
from glflow.backends.gl.joining import concat_source
from glflow.backends.gl.programs import VERSION_CORE, VERSION_ES, source
from helpers import booleans, check_op, fixed, integers, normal


EXACT = {"rtol": 0, "atol": 0}  # data movement copies values: gl and cpu must agree exactly


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def check_vs_numpy(fn, arrays, expected, **kw):
    """check_op (gl vs cpu, gradients) plus the cpu result against an independent numpy oracle."""
    out = check_op(fn, [fixed(a) for a in arrays], **{**EXACT, **kw})[0]
    np.testing.assert_array_equal(out, expected)


def _space_to_depth_oracle(x, b):
    n, h, w, c = x.shape
    out = np.zeros((n, h // b, w // b, b * b * c), x.dtype)
    for i in range(h // b):
        for j in range(w // b):
            for bh in range(b):
                for bw in range(b):
                    depth = (bh * b + bw) * c
                    out[:, i, j, depth:depth + c] = x[:, i * b + bh, j * b + bw, :]
    return out


@pytest.mark.parametrize("shape,new", [((3, 5), (5, 3)), ((2, 3, 7), (-1, 7)), ((13,), (1, 13, 1)),
                                       ((0, 4), (4, 0)), ((), (1, 1))])
def test_reshape(shape, new):
    x = data(*shape)
    check_vs_numpy(lambda t: gf.reshape(t, new), [x], x.reshape(new))


@pytest.mark.parametrize("shape,perm", [((3, 5), None), ((2, 3, 5), (1, 2, 0)),
                                        ((2, 1, 3, 5), (3, 0, 2, 1)), ((7,), (0,)),
                                        ((0, 3), (1, 0))])
def test_transpose(shape, perm):
    x = data(*shape)
    check_vs_numpy(lambda t: gf.transpose(t, perm), [x], np.transpose(x, perm))


@pytest.mark.parametrize("shape,target", [((1, 5), (3, 5)), ((3, 1), (2, 3, 7)), ((), (2, 3)),
                                          ((5,), (4, 5))])
def test_broadcast_to(shape, target):
    x = data(*shape)
    check_vs_numpy(lambda t: gf.broadcast_to(t, target), [x], np.broadcast_to(x, target))


def test_expand_dims_and_squeeze():
    x = data(3, 1, 5)
    check_vs_numpy(lambda t: gf.expand_dims(t, -1), [x], x[..., None])
    check_vs_numpy(lambda t: gf.squeeze(t), [x], x.squeeze())
    check_vs_numpy(lambda t: gf.squeeze(t, 1), [x], x.squeeze(1))


def test_cast():
    x = np.array([-2.7, -0.5, 0.0, 0.5, 3.9, 1e6], np.float32)
    out = check_op(lambda t: gf.cast(t, "int32"), [fixed(x)], grad=False, **EXACT)[0]
    np.testing.assert_array_equal(out, x.astype(np.int32))
    out = check_op(lambda t: gf.cast(t, "bool"), [fixed(x)], grad=False, **EXACT)[0]
    np.testing.assert_array_equal(out, x != 0)
    check_op(lambda t: gf.cast(t, "float32"), [integers((3, 5))], **EXACT)
    check_op(lambda t: gf.cast(t, "int32"), [booleans((7,))], **EXACT)


def test_cast_of_specials_reads_back_without_numpy_warnings():
    # GL holds int32 in float textures: the cast of nan/inf stays nan/inf there, and reading
    # it back leaked numpy's "invalid value encountered in cast" RuntimeWarning.
    x = np.array([np.nan, np.inf, -np.inf, 2.5], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = check_op(lambda t: gf.cast(t, "int32"), [fixed(x)], grad=False, **EXACT)[0]
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(out, x.astype(np.int32))  # numpy's own values


@pytest.mark.parametrize("shape,reps", [((3,), (4,)), ((2, 3), (2, 3)), ((1, 5, 3), (3, 1, 2)),
                                        ((2, 3), (0, 2)), ((7, 1), (1, 1)), ((), ())])
def test_tile(shape, reps):
    x = data(*shape)
    check_vs_numpy(lambda t: gf.tile(t, reps), [x], np.tile(x, reps))


def test_tile_int():
    check_op(lambda t: gf.tile(t, [2, 3]), [integers((3, 5))], **EXACT)


@pytest.mark.parametrize("shape,block", [((1, 4, 6, 3), 2), ((2, 6, 3, 5), 3), ((1, 2, 2, 1), 2)])
def test_space_to_depth_and_back(shape, block):
    x = data(*shape)
    want = _space_to_depth_oracle(x, block)
    check_vs_numpy(lambda t: gf.space_to_depth(t, block), [x], want)
    check_vs_numpy(lambda t: gf.depth_to_space(t, block), [want], x)


def test_shape_op_errors():
    x = gf.zeros([2, 3])
    with pytest.raises(ValueError, match="transpose: perm .* is not a permutation"):
        gf.transpose(x, [0, 0])
    with pytest.raises(ValueError, match=r"tile: reps \[2\] must have one entry per axis"):
        gf.tile(x, [2])
    with pytest.raises(ValueError, match="tile: reps .* must not be negative"):
        gf.tile(x, [1, -1])
    with pytest.raises(ValueError, match="space_to_depth: x must be rank 4"):
        gf.space_to_depth(x, 2)
    with pytest.raises(ValueError, match="space_to_depth: height 3 and width 4 .* divisible"):
        gf.space_to_depth(gf.zeros([1, 3, 4, 1]), 2)
    with pytest.raises(ValueError, match="depth_to_space: channels 6 .* divisible by block_size"):
        gf.depth_to_space(gf.zeros([1, 2, 2, 6]), 2)
    with pytest.raises(ValueError, match="reshape: cannot reshape"):
        gf.reshape(x, [4, 2])


def test_chained_movement_gradient():
    # pad -> tile -> transpose -> concat with x itself: gradients flow through every dual
    def fn(t):
        moved = gf.transpose(gf.tile(gf.pad(t, [[1, 0], [0, 2]], "reflect"), [1, 2]))
        return gf.concat([moved, t], 0)
    check_op(fn, [normal((3, 4))], **EXACT)


def test_movement_shaders_compile_as_glsl_es_300_and_330_core():
    """Every variant of the data-movement shaders, as the runtime assembles it, is valid GLSL
    ES 3.00 (WebGL2) and GLSL 3.30 core (docs/architecture.md, "Shader dialects")."""
    validator = shutil.which("glslangValidator")
    assert validator, "glslangValidator (package glslang-tools) is needed to validate shaders"
    sources = [source("padding/pad.frag", [f"RANK {r}", f"PAD_{m}"]) for r in (1, 4)
               for m in ("CONSTANT", "REFLECT", "SYMMETRIC")]
    sources += [concat_source(n, aligned) for n in (1, 3, 16) for aligned in (False, True)]
    sources += [source(f, d) for f in ("indexing/gather.frag", "indexing/scatter_add.frag") for d in ([], ["INNER4"])]
    sources += [source("indexing/one_hot.frag"), source("linalg/band_part.frag")]
    for text in sources:
        for version in (VERSION_ES, VERSION_CORE):
            result = subprocess.run([validator, "--stdin", "-S", "frag"], check=False,
                                    input=version + text, capture_output=True, text=True)
            assert result.returncode == 0, f"{version.strip()}:\n{result.stdout}\n{text}"
