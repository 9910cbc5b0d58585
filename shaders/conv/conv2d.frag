// conv2d, first pass: im2col written straight into the packed A layout that matmul's MRT
// product reads (shaders/matmul.frag), so the patches never exist as a flat tensor.
// Row (n, oh, ow) of group g holds the patch x[n, oh*s + kh*d - pad, ..., g*Cg + ci] for
// column (kh, kw, ci); positions in the padding, or between the rows of an input dilated by
// u_lhs (conv2d_transpose and the input gradient), read as 0.
// Target: width ceil(K / 4) + padding (matmul.a_width: zeros past K), height groups * u_rows_padded, K = KH * KW * Cg; a tile of a
// larger conv (glflow/backends/gl/matmul.py) packs groups u_block.x.., rows u_block.y.. and
// columns u_block.z .. u_k_end - 1 of that matrix.
// ALIGNED: Cg % 4 == 0, so the 4 columns of a texel are 4 channels of one input texel.
// FLOAT_DIV: every quotient here has dividend + divisor < 2^20 (checked on the host), so it
// is computed in float, exact with margin under GLSL's 2.5 ulp division. llvmpipe has no SIMD
// integer division: this pass took 6-19 ms with int division, most of a 3x3 conv's time.
uniform sampler2D u_x;
uniform int u_x_shift;
uniform ivec4 u_in;        // N, H, W, C of x (NHWC)
uniform ivec2 u_out;       // OH, OW
uniform ivec3 u_filter;    // KH, KW, Cg (input channels per group)
uniform ivec2 u_stride;
uniform ivec2 u_dilation;
uniform ivec2 u_lhs;       // input dilation: x[i] sits at position i * u_lhs
uniform ivec2 u_pad;       // top, left (may be negative); bottom/right follow from u_out
uniform int u_rows;        // rows of this block (N * OH * OW untiled)
uniform int u_rows_padded;
uniform ivec3 u_block;     // first group, row and column of this block
uniform int u_k_end;       // end of this block's columns
out vec4 o_result;

#if defined(FLOAT_DIV)
int quotient(int a, int b) { return int((float(a) + 0.5) / float(b)); }
ivec2 quotient(ivec2 a, ivec2 b) { return ivec2((vec2(a) + 0.5) / vec2(b)); }
#else
int quotient(int a, int b) { return a / b; }
ivec2 quotient(ivec2 a, ivec2 b) { return a / b; }
#endif

// Flat index of x[n, h, w, 0] under position p (dilated coordinates), or -1 outside x.
int pixel_at(int n, ivec2 p) {
    if (p.x < 0 || p.y < 0) return -1;
    ivec2 q = quotient(p, u_lhs);
    if (q * u_lhs != p || q.x >= u_in.y || q.y >= u_in.z) return -1;
    return ((n * u_in.y + q.x) * u_in.z + q.y) * u_in.w;
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int group = quotient(frag.y, u_rows_padded);
    int row = frag.y - group * u_rows_padded;
    int k0 = u_block.z + (frag.x << 2);
    vec4 v = vec4(0.0);
    if (row < u_rows && k0 < u_k_end) {  // zeros past the block: matmul's padded inner dim
        group += u_block.x;
        row += u_block.y;
        int rest = quotient(row, u_out.y);
        int ow = row - rest * u_out.y;
        int n = quotient(rest, u_out.x);
        ivec2 origin = ivec2(rest - n * u_out.x, ow) * u_stride - u_pad;
        int channel0 = group * u_filter.z;
#if defined(ALIGNED)
        int kk = quotient(k0, u_filter.z);
        int ci = k0 - kk * u_filter.z;
        int kh = quotient(kk, u_filter.y);
        int at = pixel_at(n, origin + ivec2(kh, kk - kh * u_filter.y) * u_dilation);
        if (at >= 0) {
            v = texelFetch(u_x, texel_coord((at + channel0 + ci) >> 2, u_x_shift), 0);
        }
#else
        for (int c = 0; c < 4; ++c) {
            int k = k0 + c;
            if (k < u_k_end) {
                int kk = quotient(k, u_filter.z);
                int ci = k - kk * u_filter.z;
                int kh = quotient(kk, u_filter.y);
                int at = pixel_at(n, origin + ivec2(kh, kk - kh * u_filter.y) * u_dilation);
                if (at >= 0) {
                    v[c] = element_at(u_x, u_x_shift, at + channel0 + ci);
                }
            }
        }
#endif
    }
    o_result = v;
}
