"""Issue 8, part 1: no GL kernel refuses a shape that fits in memory. Kernels split work that
exceeds the device's textures themselves (glflow/backends/gl/tiling.py), so

- the shapes once refused on llvmpipe (16384-texel textures) run and equal numpy's, forward
  and gradients;
- every split path (row, column and batch tiles with ragged last tiles, partial sums over an
  inner dimension, padded results, chunks of the direct conv, pieces of the filter gradient,
  the im2col fallback) runs at small shapes under `capped_tiles` and equals numpy's;
- Keras's "simple MNIST convnet" trains at batch 128 and evaluates at 32 as on the cpu
  backend, and a VGG-style block runs at 224 x 224 at batches 1 and 4;
- the one refusal left is memory: bytes needed and budget named, before any GL work.
"""
import re

import numpy as np
import pytest
from sklearn.datasets import load_digits

import glflow as gf
from glflow.backends.gl import conv_direct, conv_filter_grad, matmul
from helpers import check_op, normal
from tile_limit import capped_tiles, gl_backend

# A float32 dot product of length k summed in another order than numpy's differs by a random
# walk of ~sqrt(k) roundings of partial sums of size ~sqrt(k) (standard normal inputs): about
# k * 6e-8 absolute. TOL covers k <= 600 at ~4 sigma, as tests/ops/test_linalg.py's.
TOL = dict(rtol=1e-5, atol=3e-5, grad_rtol=1e-4, grad_atol=1e-4)


# --------------------------------------------------------------------------- shapes once refused

@pytest.mark.parametrize("m,k,n", [(70000, 64, 10), (70001, 63, 11)])
def test_matmul_with_more_rows_than_a_texture(m, k, n):
    """[70000, 64] @ [64, 10]: the packed rows exceed 16384, so the product runs in row
    tiles; its gradient db = aᵀ dy has an inner dimension of 70000 (partial sums). db sums
    70000 products: ~70000 * 6e-8 = 4e-3 absolute, hence grad_atol 2e-2."""
    check_op(gf.matmul, [normal((m, k)), normal((k, n))], rtol=1e-5, atol=3e-5,
             grad_rtol=1e-4, grad_atol=2e-2)


@pytest.mark.parametrize("m,k,n", [(64, 70000, 8), (63, 70001, 7)])
def test_matmul_with_a_longer_inner_dimension_than_a_texture(m, k, n):
    """[64, 70000] @ [70000, 8]: k exceeds a packed texture, so the product is a sum of
    partial products over chunks of k; values sum 70000 products (atol as above)."""
    check_op(gf.matmul, [normal((m, k)), normal((k, n))], rtol=1e-5, atol=2e-2,
             grad_rtol=1e-4, grad_atol=1e-4)


def test_dense_on_a_rank_3_batch():
    """Dense on [32, 600, 16]: 32 * 600 rows of one fused matmul with bias and activation."""
    check_op(lambda x, w, b: gf.fused_matmul(x, w, bias=b, activation="relu"),
             [normal((32, 600, 16)), normal((16, 7)), normal((7,))], **TOL)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((32, 600, 16)).astype(np.float32)
    layer = gf.layers.Dense(7, activation="tanh")
    y = layer(gf.tensor(x)).numpy()
    kernel, bias = (w.numpy() for w in layer.weights)
    np.testing.assert_allclose(y, np.tanh(x @ kernel + bias), rtol=1e-5, atol=1e-5)


def test_conv_of_a_224_image_to_64_channels():
    """One 224 x 224 x 3 image through a 3x3 conv to 64 channels: 50176 patch rows. The
    filter gradient sums 50176 products a weight (~3e-3 absolute, hence grad_atol 1e-2)."""
    check_op(lambda x, f: gf.conv2d(x, f, 1, "same"),
             [normal((1, 224, 224, 3)), normal((3, 3, 3, 64))],
             rtol=1e-5, atol=3e-5, grad_rtol=1e-4, grad_atol=1e-2)


# --------------------------------------------------------------------------- tiles at small sizes

def _plan(limit, batches, m, k, n):
    return matmul.plan(limit, gl_backend().block_rows, batches, m, k, n)


# (tile limit, a shape, b shape, transposes): each splits a different way
MATMUL_TILES = [
    (16, (37, 29), (29, 23), False, False),        # row tiles (ragged) x inner chunks
    (24, (3, 37, 29), (3, 29, 23), False, False),  # per-batch row tiles sharing texels
    (16, (6, 3, 5), (6, 5, 90), False, False),     # 2 batches a tile, column tiles, padded
    (40, (9, 7, 13), (13, 12), False, False),      # broadcast b, batch tiles (m * n % 4 = 0)
    (16, (29, 37), (23, 29), True, True),          # transposed operands, everything split
    (16, (1, 130), (130, 1), False, False),        # a dot product of 9 partial sums
    (8, (5, 3, 9), (5, 9, 1), False, False),       # batched matvec: tiles of 3 elements
    (24, (5, 7, 70), (70, 13), False, False),      # inner chunks with batch tiles
]


@pytest.mark.parametrize("limit,a,b,ta,tb", MATMUL_TILES)
def test_matmul_tiles(limit, a, b, ta, tb):
    m, k = (a[-1], a[-2]) if ta else a[-2:]
    n = b[-2] if tb else b[-1]
    batches = int(np.prod(np.broadcast_shapes(a[:-2], b[:-2])))
    assert not _plan(limit, batches, m, k, n).single()  # the case really splits
    with capped_tiles(limit):
        check_op(lambda x, y: gf.matmul(x, y, ta, tb), [normal(a), normal(b)], **TOL)


def test_matmul_tile_plans_cover_every_split():
    """Between them the cases above take every path: ragged row tiles, several batches a
    tile, column tiles, several inner chunks, tiles that share their first or last output
    texel with a neighbour, and a result padded to whole texels."""
    plans = []
    for limit, a, b, ta, tb in MATMUL_TILES:
        batches = int(np.prod(np.broadcast_shapes(a[:-2], b[:-2])))
        m, k = (a[-1], a[-2]) if ta else a[-2:]
        n = b[-2] if tb else b[-1]
        plans.append((_plan(limit, batches, m, k, n), n))
    assert any(len({t[3] for t in p.row_tiles}) > 1 for p, _ in plans)  # ragged rows
    assert any(max(t[1] for t in p.row_tiles) > 1 for p, _ in plans)     # batches a tile
    assert any(len(p.col_tiles) > 1 for p, _ in plans)
    assert any(len(p.k_chunks) > 2 for p, _ in plans)
    assert any(p.width != n for p, n in plans)                           # padded
    assert any(p.width == n and any((b0 * m + i0) * n % 4 for b0, _, i0, _ in p.row_tiles)
               for (p, n), (_, a, _, ta, _) in zip(plans, MATMUL_TILES)
               for m in [a[-1] if ta else a[-2]])                           # shared texels


@pytest.mark.parametrize("bias_shape,activation", [
    ((23,), "relu"), ((37, 23), "elu"), ((1,), "sigmoid"), ((37, 1), "linear")])
def test_fused_matmul_tiles(bias_shape, activation):
    """Bias (row, matrix, scalar, column) and activation in every tile's unpack pass, the
    row tiles of a result padded to whole texels included (23 columns)."""
    with capped_tiles(16):
        check_op(lambda x, y, b: gf.fused_matmul(x, y, bias=b, activation=activation),
                 [normal((37, 29)), normal((29, 23)), normal(bias_shape)], **TOL)
    assert _plan(16, 6, 3, 5, 90).width == 92
    with capped_tiles(16):  # batch tiles, column tiles and a result padded to 92 columns
        check_op(lambda x, y, b: gf.fused_matmul(x, y, bias=b, activation=activation),
                 [normal((6, 3, 5)), normal((6, 5, 90)), normal((90,))], **TOL)


CONV_TILES = [
    # (tile limit, x, filters, strides, padding, dilations): im2col (channels not whole texels)
    (16, (2, 7, 9, 3), (3, 3, 3, 5), 1, "same", 1),
    (24, (3, 9, 8, 5), (2, 3, 5, 7), (2, 1), "valid", (1, 2)),
    # direct (whole-texel channels): chunks of image rows, filter gradient in pieces
    (16, (3, 11, 37, 8), (3, 3, 8, 16), 1, "same", 1),
    (24, (3, 11, 37, 8), (3, 3, 8, 16), 1, "same", 1),
    (8, (3, 13, 45, 4), (3, 2, 4, 12), (1, 2), [[1, 0], [2, 1]], 1),
]


@pytest.mark.parametrize("limit,x,f,strides,padding,dilations", CONV_TILES)
def test_conv2d_tiles(limit, x, f, strides, padding, dilations):
    with capped_tiles(limit):
        check_op(lambda a, b: gf.conv2d(a, b, strides, padding, "NHWC", dilations),
                 [normal(x), normal(f)], **TOL)


def test_conv_splits_are_taken():
    """The conv cases above split: im2col tiles its patch matrix, the direct conv draws
    several chunks (a ragged last one included), its filter gradient several pieces."""
    assert not _plan(16, 1, 2 * 7 * 9, 27, 5).single()
    assert not _plan(24, 1, 3 * 4 * 7, 30, 7).single()
    with capped_tiles(16) as backend:
        assert len(conv_direct.chunks(backend, (3, 11, 37, 8), (3, 3, 8, 16), (11, 37), 1)) == 3
        grad = conv_filter_grad.Plan(backend, (3, 11, 37, 8), (3, 3, 8, 16), (11, 37), 1)
        assert len(grad.pieces) == 3
        depthwise = conv_filter_grad.Plan(backend, (2, 13, 11, 12), (5, 5, 1, 12), (13, 11),
                                          12)
        assert len(depthwise.pieces) > 1
    with capped_tiles(24) as backend:
        chunks = conv_direct.chunks(backend, (3, 11, 37, 8), (3, 3, 8, 16), (11, 37), 1)
        assert [rows for _, rows in chunks] == [17, 16]
        assert len(conv_filter_grad.Plan(backend, (3, 11, 37, 8), (3, 3, 8, 16), (11, 37),
                                         1).pieces) == 2
    with capped_tiles(8) as backend:  # x [3, 13, 45, 4] -> [3, 12, 24, 12]: 36 image rows
        assert len(conv_direct.chunks(backend, (3, 13, 45, 4), (3, 2, 4, 12), (12, 24), 1)) > 4


def test_direct_conv_falls_back_to_im2col_when_an_image_row_exceeds_a_grid():
    """An output row of 8 * 16 pixels x 8 channel texels needs 128 fragments, more than a
    capped 8 x 8 grid: the conv takes im2col + tiled matmul instead, same results."""
    with capped_tiles(8) as backend:
        assert not conv_direct.fits(backend, (1, 3, 128, 4), (3, 3, 4, 32), (3, 128), 1)
        check_op(lambda a, b: gf.conv2d(a, b, 1, "same"),
                 [normal((1, 3, 128, 4)), normal((3, 3, 4, 32))], **TOL)


@pytest.mark.parametrize("limit", [16, 24])
def test_depthwise_separable_transposed_and_1d_convs_tiled(limit):
    with capped_tiles(limit):
        # 12 groups of one channel, 5x5: the filter gradient's non-aligned pieces at 16
        check_op(lambda a, b: gf.depthwise_conv2d(a, b, 1, "same"),
                 [normal((2, 13, 11, 12)), normal((5, 5, 12, 1))], **TOL)
        check_op(lambda a, b, c: gf.separable_conv2d(a, b, c, 2, "same"),
                 [normal((2, 9, 11, 3)), normal((3, 3, 3, 2)), normal((1, 1, 6, 8))], **TOL)
        check_op(lambda a, b: gf.conv2d_transpose(a, b, None, 2, "same"),
                 [normal((2, 5, 7, 3)), normal((3, 3, 6, 3))], **TOL)
        check_op(lambda a, b: gf.conv1d(a, b, 2, "same", dilation=1),
                 [normal((3, 61, 5)), normal((5, 5, 9))], **TOL)
        check_op(lambda a, b: gf.conv2d(a, b, 1, "same", groups=2),
                 [normal((2, 9, 7, 8)), normal((3, 3, 4, 8))], **TOL)


def test_max_pool_gradient_of_an_image_of_more_than_2_24_elements():
    """The argmax is a position in its window, so the gradient is exact for any image size
    (it once refused images of more than 2^24 elements, whose flat indices a float32
    texture cannot hold). Finite differences step 1e-9, not 1e-6: among 4.2M windows a
    1e-6 step makes some window's maximum change hands (a kink, seen as a 0.1% error in
    one direction); float64 keeps a 1e-9 step's quotient exact to ~1e-7 relative."""
    side = 2049  # 2049 * 2049 * 4 = 16793604 > 2^24
    check_op(lambda x: gf.max_pool(x, 2, 2, "same"), [normal((1, side, side, 4))],
             fd_eps=1e-9)


# --------------------------------------------------------------------------- models

def _mnist_like(count=512):
    """sklearn's 8x8 digits upsampled 3x (24 x 24) and padded to MNIST's 28 x 28."""
    data = load_digits()
    images = np.kron(data.images[:count] / 16.0, np.ones((3, 3)))
    images = np.pad(images, [(0, 0), (2, 2), (2, 2)])[..., None].astype(np.float32)
    labels = np.eye(10, dtype=np.float32)[data.target[:count]]
    return images, labels


def _mnist_convnet(backend, x, y):
    """Keras's "simple MNIST convnet", its layers, compile() and fit() batch size as they are;
    one epoch, then evaluate() at its default batch size."""
    gf.set_backend(backend)
    gf.set_seed(0)
    model = gf.Sequential([
        gf.layers.Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
        gf.layers.MaxPooling2D(pool_size=(2, 2)),
        gf.layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        gf.layers.MaxPooling2D(pool_size=(2, 2)),
        gf.layers.Flatten(),
        gf.layers.Dropout(0.5),
        gf.layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=128, epochs=1, validation_split=0.1, verbose=0)
    return history.history, model.evaluate(x, y, verbose=0)


def test_mnist_convnet_trains_at_batch_128_as_on_the_cpu_backend():
    """Batch 128 makes conv1's patch matrix 128 * 26 * 26 = 86528 rows (once refused).
    Same seeds, data, shuffles and dropout masks: the backends differ only by float32
    rounding (sums in another order), a few ulps per op through 4 Adam steps; 1e-5 relative
    leaves ~100x room, while a wrong tile or step moves the loss by > 1e-3 (as
    tests/test_digits_cnn.py)."""
    x, y = _mnist_like()
    try:
        gl_history, gl_eval = _mnist_convnet("gl", x, y)
        cpu_history, cpu_eval = _mnist_convnet("cpu", x, y)
    finally:
        gf.set_backend("gl")
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(gl_history[key], cpu_history[key], rtol=1e-5, err_msg=key)
    np.testing.assert_allclose(gl_eval[0], cpu_eval[0], rtol=1e-5)
    assert abs(gl_eval[1] - cpu_eval[1]) <= 1.5 / len(x)  # accuracy: at most one near-tie


def _vgg_block(x, w1, w2, w3):
    """conv64 - conv64 - 2x2 max pool - conv128, 3x3, padding same, relu after each conv."""
    y = gf.relu(gf.conv2d(x, w1, 1, "same"))
    y = gf.max_pool(gf.relu(gf.conv2d(y, w2, 1, "same")), 2)
    return gf.relu(gf.conv2d(y, w3, 1, "same"))


def _vgg_run(backend, arrays, dy):
    """The block's output and the gradients of sum(output * dy) for x and the filters."""
    gf.set_backend(backend)
    ts = [gf.tensor(a) for a in arrays]
    with gf.GradientTape() as tape:
        tape.watch(*ts)
        y = _vgg_block(*ts)
        total = gf.sum(y * gf.tensor(dy))
    grads = tape.gradient(total, ts)
    return y.numpy(), [g.numpy() for g in grads]


@pytest.mark.parametrize("batches", [(1, 4)])
def test_vgg_block_on_224_images(batches):
    """Forward and gradients (x and all filters) GL vs numpy at batches 1 and 4. Inputs are
    small integers and filters in {-1, 0, 1}: every sum of the forward pass is an integer far
    below 2^24, so both backends compute it exactly and the outputs, relu masks and max-pool
    argmaxes (ties included) must be identical; the gradients (integer weights dy in
    {-1, 0, 1}) are integer sums too, exact while their partial sums stay below 2^24: rtol
    1e-6 allows the float32 rounding of the largest filter-gradient sums (200704 terms at
    batch 4). check_op's float64 finite differences are left to the small conv and pooling
    tests: at these sizes they would take minutes, and with exact ties the max is not
    differentiable."""
    rng = np.random.default_rng(0)
    filters = [rng.integers(-1, 2, s).astype(np.float32)
               for s in ((3, 3, 3, 64), (3, 3, 64, 64), (3, 3, 64, 128))]
    try:
        for n in batches:
            x = rng.integers(-2, 3, (n, 224, 224, 3)).astype(np.float32)
            dy = rng.integers(-1, 2, (n, 112, 112, 128)).astype(np.float32)
            gl_y, gl_grads = _vgg_run("gl", [x] + filters, dy)
            cpu_y, cpu_grads = _vgg_run("cpu", [x] + filters, dy)
            np.testing.assert_array_equal(gl_y, cpu_y)
            for k, (g, c) in enumerate(zip(gl_grads, cpu_grads)):
                np.testing.assert_allclose(g, c, rtol=1e-6, atol=0, err_msg=f"gradient {k}")
    finally:
        gf.set_backend("gl")


# --------------------------------------------------------------------------- the memory refusal

def test_only_memory_is_refused_with_bytes_and_budget_before_any_gl_work(monkeypatch):
    """A result larger than one tensor can hold (one max-size RGBA32F texture) is refused
    with the op, the bytes needed and the budget, before any GL work; tensors stay intact."""
    backend = gl_backend()
    side = backend.max_size * 2 + 1          # (2 max + 1)^2 > 4 max^2 elements
    column, row = gf.ones([side, 1]), gf.ones([1, side])
    x, f = gf.ones([1, side, 1, 1]), gf.ones([1, 1, 1, side])
    budget = 4 * backend.limit("max_elements")
    touched = []
    for name in ("run", "elementwise", "upload"):
        monkeypatch.setattr(backend, name, lambda *a, _n=name, **k: touched.append(_n))
    monkeypatch.setattr(backend.pool, "acquire", lambda *a, **k: touched.append("acquire"))
    for op, call, shape in (
            ("matmul", lambda: gf.matmul(column, row), [side, side]),
            ("fused_matmul", lambda: gf.fused_matmul(column, row, activation="relu"),
             [side, side]),
            ("conv2d", lambda: gf.conv2d(x, f), [1, side, side])):
        with pytest.raises(MemoryError, match=re.escape(
                f"{op}: a tensor of shape {shape} needs {4 * side * side:,} bytes; the gl "
                f"backend holds at most {budget:,} bytes in one tensor")):
            call()
    assert touched == []
    monkeypatch.undo()
    assert column.numpy().sum() == side and f.numpy().sum() == side


def test_a_padded_intermediate_over_the_budget_is_refused_before_any_gl_work(monkeypatch):
    """Column tiles of a result whose rows end inside texels compute it padded to whole
    texels: a padded copy larger than one tensor may hold is a memory refusal too."""
    a, b = gf.ones([6, 3, 5]), gf.ones([6, 5, 90])
    backend = gl_backend()
    assert _plan(16, 6, 3, 5, 90).width == 92
    real_limit = backend.limit
    monkeypatch.setattr(backend, "limit", lambda what: 6 * 3 * 90 if what == "max_elements"
                        else real_limit(what))  # y fits, its padded copy does not
    acquired = []
    real_acquire = backend.pool.acquire
    monkeypatch.setattr(backend.pool, "acquire",
                        lambda *args: acquired.append(args) or real_acquire(*args))
    with capped_tiles(16):
        with pytest.raises(MemoryError, match=rf"matmul: a \[6, 3, 90\] result computed in "
                                              rf"column tiles padded to whole texels needs "
                                              rf"{4 * 6 * 3 * 92:,} bytes; the gl backend "
                                              rf"holds at most {4 * 6 * 3 * 90:,} bytes in one "
                                              rf"tensor"):
            gf.matmul(a, b)
    assert acquired == []
    np.testing.assert_array_equal(a.numpy(), 1.0)
