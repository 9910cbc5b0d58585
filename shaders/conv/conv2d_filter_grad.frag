// conv2d's filter gradient as a reduction over output pixels, first pass:
//   dW[kh, kw, ci, co] = sum over n, oh, ow of xd[n, oh*s + kh*d - pad, ow*s + kw*d - pad, ci]
//                                              * dy[n, oh, ow, co]      (per group)
// (xd: x dilated by u_lhs). A fragment sums one block of dW, 4 rows (kh, kw, ci) x
// 4 * CO_TEXELS output channels, over one chunk of image rows (n, oh), and writes row r, channel
// texel h of its block to render target r * CO_TEXELS + h. The chunks are a split reduction:
// the dW grid alone (a few hundred fragments at 3x3x32x32) would keep one llvmpipe thread busy;
// shaders/conv2d_filter_grad_sum.frag adds the chunks up (glflow/backends/gl/conv_filter_grad.py).
// Fragment id = ((chunk * groups + group) * u_row_blocks + row_block) * u_co_blocks + co_block,
// laid out u_grid_w ids a row from u_origin. A dW too large for one grid is drawn in pieces of
// u_row_blocks row blocks from u_row_block0 on (glflow/backends/gl/conv_filter_grad.py).
// X_ALIGNED: Cg % 4 == 0, so a block's 4 rows are 4 channels of one tap and one x texel.
// DY_ALIGNED: Cout / groups % 4 == 0, so a block's channels are whole dy texels.
// Otherwise x (per row) and dy (per channel) are read an element at a time.
// No per-pixel bounds checks: per tap, the output positions whose input falls on x form an
// arithmetic progression (span()), computed once per fragment.
uniform sampler2D u_x;
uniform sampler2D u_dy;
uniform int u_x_shift;
uniform int u_dy_shift;
uniform ivec4 u_in;        // N, H, W, C of x (NHWC)
uniform ivec2 u_out;       // OH, OW of dy
uniform ivec3 u_filter;    // KH, KW, Cg (input channels per group)
uniform int u_cout;        // dy's channels (all groups)
uniform int u_cog;         // output channels per group
uniform int u_groups;
uniform int u_row_blocks;  // row blocks of this piece (all: ceil(KH * KW * Cg / 4))
uniform int u_row_block0;  // first row block of this piece
uniform int u_co_blocks;   // ceil(Cog / (4 * CO_TEXELS))
uniform int u_chunk_rows;  // image rows (n, oh) per chunk
uniform int u_fragments;
uniform int u_grid_w;
uniform ivec2 u_origin;    // where id 0 sits in the targets (spread over llvmpipe's tiles)
uniform ivec2 u_stride;
uniform ivec2 u_dilation;
uniform ivec2 u_lhs;       // input dilation: x[i] sits at position i * u_lhs
uniform ivec2 u_pad;       // top, left (may be negative)
uniform ivec2 u_step;      // between output positions that land on x: lhs / gcd(stride, lhs)
uniform int u_dy_last;     // last element of dy (a block's last channels may run past it)

layout(location = 0) out vec4 o_block0;
layout(location = 1) out vec4 o_block1;
layout(location = 2) out vec4 o_block2;
layout(location = 3) out vec4 o_block3;
#if CO_TEXELS == 2
layout(location = 4) out vec4 o_block4;
layout(location = 5) out vec4 o_block5;
layout(location = 6) out vec4 o_block6;
layout(location = 7) out vec4 o_block7;
#endif

// Output positions o in [0, out_size) whose tap lands on x along one axis: the dilated position
// p = o * s + off must satisfy 0 <= p <= (size - 1) * lhs and p % lhs == 0. They are
// first, first + step, ... <= last; returns (first, last), first > last when there are none.
ivec2 span(int off, int s, int lhs, int size, int out_size, int step) {
    int lo = off >= 0 ? 0 : (s - 1 - off) / s;   // smallest o with p >= 0
    int reach = (size - 1) * lhs - off;
    int last = reach < 0 ? -1 : min(out_size - 1, reach / s);
    int first = last + 1;
    for (int i = step - 1; i >= 0; --i) {         // p % lhs repeats with period step
        if (((lo + i) * s + off) % lhs == 0) first = lo + i;
    }
    return ivec2(first, last);
}

// 4 * CO_TEXELS channels of dy from element e on (past the end: clamped, never stored)
void dy_block(int e, out vec4 d0, out vec4 d1) {
#if defined(DY_ALIGNED)
    d0 = texelFetch(u_dy, texel_coord(e >> 2, u_dy_shift), 0);
#if CO_TEXELS == 2
    d1 = texelFetch(u_dy, texel_coord(min((e >> 2) + 1, u_dy_last >> 2), u_dy_shift), 0);
#endif
#else
    for (int k = 0; k < 4; ++k) d0[k] = element_at(u_dy, u_dy_shift, min(e + k, u_dy_last));
#if CO_TEXELS == 2
    for (int k = 0; k < 4; ++k) d1[k] = element_at(u_dy, u_dy_shift, min(e + 4 + k, u_dy_last));
#endif
#endif
#if CO_TEXELS == 1
    d1 = vec4(0.0);
#endif
}

// Where a tap's sums start and how they advance (one per fragment and tap)
struct Walk {
    ivec2 rows;      // span of oh
    ivec2 cols;      // span of ow
    ivec2 off;       // tap offset in dilated input positions
    int x_step;      // x elements between consecutive ow of the span
    int dy_step;     // dy elements between consecutive ow of the span
};

Walk walk(int kh, int kw) {
    Walk w;
    w.off = ivec2(kh, kw) * u_dilation - u_pad;
    w.rows = span(w.off.x, u_stride.x, u_lhs.x, u_in.y, u_out.x, u_step.x);
    w.cols = span(w.off.y, u_stride.y, u_lhs.y, u_in.z, u_out.y, u_step.y);
    w.x_step = (u_step.y * u_stride.y / u_lhs.y) * u_in.w;
    w.dy_step = u_step.y * u_cout;
    return w;
}

// x element of (n, oh, first column of the span) + channel, or -1 when row oh misses x
int x_start(Walk w, int n, int oh, int channel) {
    if (oh < w.rows.x || oh > w.rows.y || (oh - w.rows.x) % u_step.x != 0) return -1;
    int ih = (oh * u_stride.x + w.off.x) / u_lhs.x;
    int iw = (w.cols.x * u_stride.y + w.off.y) / u_lhs.y;
    return ((n * u_in.y + ih) * u_in.z + iw) * u_in.w + channel;
}

int dy_start(Walk w, int n, int oh, int channel) {
    return ((n * u_out.x + oh) * u_out.y + w.cols.x) * u_cout + channel;
}

#if defined(X_ALIGNED)
// Tap (kh, kw), channels x_channel..+3 (one x texel) against the block's dy channels
void sum_texel_rows(int kh, int kw, int x_channel, int dy_channel, int row0, int row1,
                    inout vec4 c0, inout vec4 c1, inout vec4 c2, inout vec4 c3,
                    inout vec4 c4, inout vec4 c5, inout vec4 c6, inout vec4 c7) {
    Walk w = walk(kh, kw);
    int n = row0 / u_out.x;
    int oh = row0 - n * u_out.x;
    for (int row = row0; row < row1; ++row) {
        int xe = x_start(w, n, oh, x_channel);
        if (xe >= 0) {
            int de = dy_start(w, n, oh, dy_channel);
            for (int ow = w.cols.x; ow <= w.cols.y; ow += u_step.y) {
                vec4 xv = texelFetch(u_x, texel_coord(xe >> 2, u_x_shift), 0);
                vec4 d0, d1;
                dy_block(de, d0, d1);
                c0 += xv.x * d0;
                c2 += xv.y * d0;
                c4 += xv.z * d0;
                c6 += xv.w * d0;
#if CO_TEXELS == 2
                c1 += xv.x * d1;
                c3 += xv.y * d1;
                c5 += xv.z * d1;
                c7 += xv.w * d1;
#endif
                xe += w.x_step;
                de += w.dy_step;
            }
        }
        if (++oh == u_out.x) { oh = 0; ++n; }
    }
}
#else
// Row r of dW (kh, kw, ci flattened) of `group` against the block's dy channels; rows past
// the end (the last block of KH * KW * Cg % 4 != 0) add nothing
void sum_element_row(int r, int group, int dy_channel, int row0, int row1,
                     inout vec4 ca, inout vec4 cb) {
    if (r >= u_filter.x * u_filter.y * u_filter.z) return;
    int tap = r / u_filter.z;
    int ci = r - tap * u_filter.z;
    int kh = tap / u_filter.y;
    Walk w = walk(kh, tap - kh * u_filter.y);
    int n = row0 / u_out.x;
    int oh = row0 - n * u_out.x;
    for (int row = row0; row < row1; ++row) {
        int xe = x_start(w, n, oh, group * u_filter.z + ci);
        if (xe >= 0) {
            int de = dy_start(w, n, oh, dy_channel);
            for (int ow = w.cols.x; ow <= w.cols.y; ow += u_step.y) {
                float xv = element_at(u_x, u_x_shift, xe);
                vec4 d0, d1;
                dy_block(de, d0, d1);
                ca += xv * d0;
                cb += xv * d1;
                xe += w.x_step;
                de += w.dy_step;
            }
        }
        if (++oh == u_out.x) { oh = 0; ++n; }
    }
}
#endif

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy) - u_origin;
    int id = p.y * u_grid_w + p.x;
    vec4 c0 = vec4(0.0), c1 = vec4(0.0), c2 = vec4(0.0), c3 = vec4(0.0);
    vec4 c4 = vec4(0.0), c5 = vec4(0.0), c6 = vec4(0.0), c7 = vec4(0.0);
    if (id < u_fragments) {
        int rest = id / u_co_blocks;
        int co_block = id - rest * u_co_blocks;
        int image = rest / u_row_blocks;              // chunk * groups + group
        int row_block = rest - image * u_row_blocks + u_row_block0;
        int chunk = image / u_groups;
        int group = image - chunk * u_groups;
        int row0 = chunk * u_chunk_rows;
        int row1 = min(row0 + u_chunk_rows, u_in.x * u_out.x);
        int dy_channel = group * u_cog + co_block * 4 * CO_TEXELS;
#if defined(X_ALIGNED)
        int cg4 = u_filter.z >> 2;
        int tap = row_block / cg4;
        int kh = tap / u_filter.y;
        sum_texel_rows(kh, tap - kh * u_filter.y,
                       group * u_filter.z + 4 * (row_block - tap * cg4), dy_channel, row0,
                       row1, c0, c1, c2, c3, c4, c5, c6, c7);
#else
        int r = 4 * row_block;
        sum_element_row(r, group, dy_channel, row0, row1, c0, c1);
        sum_element_row(r + 1, group, dy_channel, row0, row1, c2, c3);
        sum_element_row(r + 2, group, dy_channel, row0, row1, c4, c5);
        sum_element_row(r + 3, group, dy_channel, row0, row1, c6, c7);
#endif
    }
#if CO_TEXELS == 2
    o_block0 = c0; o_block1 = c1; o_block2 = c2; o_block3 = c3;
    o_block4 = c4; o_block5 = c5; o_block6 = c6; o_block7 = c7;
#else
    o_block0 = c0; o_block1 = c2; o_block2 = c4; o_block3 = c6;
#endif
}
