"""matmul on GL: pack both operands into matrix-layout textures, one MRT pass computing
ROWS x 4 blocks per fragment, then unpack the ROWS targets into the flat output tensor.

Packing costs O(n^2) next to the O(n^3) product and buys an inner loop with no index math;
it also absorbs transposes, batch broadcasting, and sizes that are not multiples of 4 or ROWS.
(At n = 1024 on llvmpipe: packing 3.7 ms, product 123 ms, unpacking 4.5 ms.)

The inner loop makes 12 texel fetches per 128 multiply-adds, the fewest for the 32 values a
fragment can write through 8 targets, and fetches are what llvmpipe spends its time on:
unrolling it by 2 or 4 changed nothing (17.5-18.2 GFLOP/s either way at n = 1024).
"""
from .programs import load

# llvmpipe shades the framebuffer in 64 x 64 pixel tiles, one thread per tile. A block grid
# that fits in one tile (n <= 256 with 8 targets) would run on one thread, so the product pass
# draws it centred on a tile corner, shared by up to 4 threads; the targets grow by < 64 texels
# a side, which costs nothing on GPUs. Product pass at n = 256: 4.0 ms -> 2.2 ms.
TILE = 64


def _origin(extent):
    """Offset that centres a grid dimension of `extent` (<= TILE) on a tile boundary."""
    return TILE - extent // 2 if 1 < extent <= TILE else 0


class FramebufferCache:
    """The product pass's MRT framebuffers, keyed by their block textures. The pool hands the
    same textures back call after call (in one of two orders), so a few entries serve every
    repeat: a new 8-target framebuffer cost ~25 us per 16 x 16 matmul (~7% of it), most of
    it at first use. Keys hold the PooledTexture objects, so a key can never match a
    texture the pool deleted and a new one that took its place."""

    def __init__(self, ctx, capacity=8):
        self.ctx = ctx
        self.capacity = capacity
        self._fbos = {}

    def get(self, blocks):
        key = tuple(blocks)
        fbo = self._fbos.pop(key, None)  # re-inserted below: dict order is the LRU order
        if fbo is None:
            fbo = self.ctx.framebuffer(color_attachments=[blk.tex for blk in blocks])
            while len(self._fbos) >= self.capacity:
                self._fbos.pop(next(iter(self._fbos))).release()
        self._fbos[key] = fbo
        return fbo

    def forget(self, texture):
        """Release the framebuffers that draw into `texture` (the pool is deleting it)."""
        for key in [k for k in self._fbos if texture in k]:
            self._fbos.pop(key).release()

    def clear(self):
        for fbo in self._fbos.values():
            fbo.release()
        self._fbos.clear()


def _common():
    """The shared GLSL helpers every generated MRT shader starts with (conv_direct and
    conv_filter_grad use this one too)."""
    return load("templates/common.glsl") + "\n"


def gather_body(shader, targets, index="r"):
    """`shader` with //@SAMPLERS declaring u_block0 .. u_block{targets - 1} and //@SELECT
    returning texel `at` of target `index`: the pass that reads back an MRT product's
    render targets (matmul, conv_direct, conv_filter_grad)."""
    samplers = "\n".join(f"uniform sampler2D u_block{r};" for r in range(targets))
    select = "\n".join(f"    if ({index} == {r}) return texelFetch(u_block{r}, at, 0);"
                       for r in range(targets - 1))
    select += f"\n    return texelFetch(u_block{targets - 1}, at, 0);"
    return load(shader).replace("//@SAMPLERS", samplers).replace("//@SELECT", select)


def _pack(backend, data, view, batches, rows_padded):
    variant = "#define ALIGNED\n" if view.aligned() else ""
    prog = backend.programs.get(variant + _common() + load("matmul_pack.frag"), ["u_x"])
    for name, value in (("u_x_shift", data.layout.shift), ("u_rows", view.rows),
                        ("u_cols", view.cols), ("u_rows_padded", rows_padded),
                        ("u_batch_stride", view.batch_stride), ("u_row_stride", view.row_stride),
                        ("u_col_stride", view.col_stride)):
        prog.set(name, value)
    width, height = -(-view.cols // 4), batches * rows_padded
    packed = backend.pool.acquire(width, height)
    backend._draw(prog, packed, width, height, [data.texture.tex])
    return packed


def _product_source(rows):
    outputs = "\n".join(f"layout(location = {r}) out vec4 o_row{r};" for r in range(rows))
    accum = "\n".join(f"    vec4 c{r} = vec4(0.0);" for r in range(rows))
    mad = "\n".join(f"        c{r} += b * texelFetch(u_a, ivec2(k4, a_row + {r}), 0);"
                    for r in range(rows))
    store = "\n".join(f"    o_row{r} = c{r};" for r in range(rows))
    body = (load("matmul.frag").replace("//@OUTPUTS", outputs)
            .replace("//@ACCUMULATORS", accum).replace("//@MULTIPLY_ADD", mad)
            .replace("//@STORE", store))
    return f"#define ROWS {rows}\n" + _common() + body


def _unpack_source(rows, aligned, epilogue=None):
    body = gather_body("matmul_unpack.frag", rows)
    defines = f"#define ROWS {rows}\n" + ("#define ALIGNED\n" if aligned else "")
    if epilogue is not None:  # fused_matmul: bias + activation inside this pass
        body = body.replace("//@EPILOGUE", epilogue.source)
        defines += "#define EPILOGUE\n"
    return defines + _common() + body


def check_fits(max_size, batches, m, k, n, rows):
    """The packed operands must fit in one texture each; returns a reason when they do not."""
    m_pad = -(-m // rows) * rows
    k_pad = -(-k // 4) * 4
    if batches * m_pad > max_size or batches * k_pad > max_size:
        return (f"batch * rows ({batches} x {max(m_pad, k_pad)}) exceeds the GL texture size "
                f"{max_size}")
    if -(-k // 4) > max_size or -(-n // 4) > max_size:
        return f"inner or outer dimension / 4 exceeds the GL texture size {max_size}"
    return None


def run(backend, a, a_view, b, b_view, batches, m, k, n, epilogue=None, pack_a=None):
    """epilogue (fused_matmul, glflow/backends/gl/kernels/fused.py): GLSL `source` defining
    `vec4 epilogue(vec4 v, int e0)`, applied in the unpack pass, with its own `samplers`,
    `textures` and `uniforms`; the op handles k == 0 itself when it passes one.
    pack_a (conv2d, glflow/backends/gl/kernels/nn_conv.py): `pack_a(rows_padded)` returns A
    already in the packed layout (im2col written straight into it); `a`, `a_view` unused."""
    rows = backend.block_rows
    m_blocks = -(-m // rows)
    k_pad = -(-k // 4) * 4
    out = backend._alloc(batches * m * n)
    if batches * m * n == 0:
        return out
    if k == 0:  # empty inner dimension: the product is all zeros
        prog = backend.programs.get(_common() + _fill_source(), [])
        prog.set("u_value", 0.0)
        backend._draw(prog, out.texture, out.layout.width, out.layout.rows, [])
        return out
    pa = (pack_a(m_blocks * rows) if pack_a is not None
          else _pack(backend, a, a_view, batches, m_blocks * rows))
    pb = _pack(backend, b, b_view, batches, k_pad)
    n4 = -(-n // 4)
    grid_rows = batches * m_blocks
    x0, y0 = _origin(n4), _origin(grid_rows)
    blocks = [backend.pool.acquire(x0 + n4, y0 + grid_rows) for _ in range(rows)]
    fbo = backend.mrt_framebuffers.get(blocks)
    prog = backend.programs.get(_product_source(rows), ["u_a", "u_b"])
    prog.set("u_k4", k_pad // 4)
    prog.set("u_m_blocks", m_blocks)
    prog.set("u_origin", (x0, y0))
    backend._draw(prog, fbo, n4, grid_rows, [pa.tex, pb.tex], x0, y0)
    extra_samplers = epilogue.samplers if epilogue is not None else []
    extra_textures = epilogue.textures if epilogue is not None else []
    unpack = backend.programs.get(_unpack_source(rows, n % 4 == 0, epilogue),
                                  [f"u_block{r}" for r in range(rows)] + extra_samplers)
    for name, value in (("u_out_shift", out.layout.shift), ("u_out_size", out.layout.size),
                        ("u_m", m), ("u_n", n), ("u_m_blocks", m_blocks),
                        ("u_origin", (x0, y0))):
        unpack.set(name, value)
    if epilogue is not None:
        for name, value in epilogue.uniforms.items():
            unpack.set(name, value)
    backend._draw(unpack, out.texture, out.layout.width, out.layout.rows,
                  [blk.tex for blk in blocks] + extra_textures)
    for t in (pa, pb, *blocks):
        backend.pool.release(t)
    return out


def _fill_source():
    return "uniform float u_value;\nout vec4 o_result;\nvoid main() { o_result = vec4(u_value); }\n"
