// Shared by the pooling kernels (max_pool, avg_pool, max_pool_argmax and their gradients):
// geometry uniforms, index helpers and main(). A kernel file defines `VALUE pooled(int e)`,
// the value of flat output element e. Tensors are NHWC; windows that hang over the input's
// edge (padding) are clipped, so padding never takes part (TF's rule for max and average).
// ALIGNED: C % 4 == 0, so an output texel is 4 channels of one pixel and reads whole texels.
uniform ivec4 u_in;       // N, H, W, C of the pooled input
uniform ivec2 u_out;      // OH, OW
uniform ivec2 u_window;   // KH, KW
uniform ivec2 u_stride;
uniform ivec2 u_pad;      // top, left
uniform int u_out_shift;
uniform int u_out_size;
out vec4 o_result;

#if defined(ALIGNED)
#define VALUE vec4
#define READ(s, shift, at) TEXEL_AT(s, texel_coord((at) >> 2, shift))
#else
#define VALUE float
#define READ(s, shift, at) TEXEL_AT(s, texel_coord((at) >> 2, shift))[(at) & 3]
#endif

// Flat element e of a [N, rows, cols, C] tensor -> (n, row, col, c).
ivec4 unravel(int e, ivec2 dims) {
    int c = e % u_in.w;
    int rest = e / u_in.w;
    int col = rest % dims.y;
    rest /= dims.y;
    return ivec4(rest / dims.x, rest % dims.x, col, c);
}

// The input rows/cols [lo, hi) of the window of output pixel o, clipped to the input.
void window_bounds(ivec2 o, out ivec2 lo, out ivec2 hi) {
    ivec2 start = o * u_stride - u_pad;
    lo = max(start, ivec2(0));
    hi = min(start + u_window, u_in.yz);
}

// The output pixels [lo, hi) whose windows contain input pixel p (for the gradients).
void covering_windows(ivec2 p, out ivec2 lo, out ivec2 hi) {
    ivec2 last = p + u_pad;                      // >= 0: pads are never negative
    ivec2 first = last - u_window + 1;
    lo = max((max(first, ivec2(0)) + u_stride - 1) / u_stride, ivec2(0));
    hi = min(last / u_stride + 1, u_out);
}

VALUE pooled(int e);

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int e0 = ((frag.y << u_out_shift) + frag.x) << 2;
#if defined(ALIGNED)
    o_result = pooled(e0);
#else
    vec4 v;
    for (int c = 0; c < 4; ++c) {
        v[c] = pooled(min(e0 + c, u_out_size - 1));
    }
    o_result = v;
#endif
}
