// fused_matmul epilogue, pasted into matmul_unpack.frag under EPILOGUE: bias and activation
// applied to the unpacked values in the same pass, so they cost no pass of their own.
// BIAS: the bias is read through (batch, row, column) strides (any broadcast of a row, a
// column, a matrix or a scalar); BIAS_COLUMNS4 (with ALIGNED): one row of n % 4 == 0 values,
// one texel fetch per output texel. ACTIVATE(x) is set by the runtime to an activation
// kernel's function (shaders/<activation>.glsl, pasted below) or to x.
// A tiled matmul may unpack into a result padded to whole texels per row (u_n rounded up): the
// padding columns it computes there are dropped, and their bias reads are kept inside the bias
// by u_bias_last.
uniform float u_alpha;
#if defined(BIAS) || defined(BIAS_COLUMNS4)
uniform sampler2D u_bias;
uniform int u_bias_shift;
uniform ivec3 u_bias_strides;
uniform int u_bias_last;
#endif
//@FUNCTIONS

vec4 epilogue(vec4 v, int e0) {
#if defined(BIAS_COLUMNS4)
    v += texelFetch(u_bias, texel_coord((e0 % u_n) >> 2, u_bias_shift), 0);
#elif defined(BIAS)
    vec4 b;
    for (int c = 0; c < 4; ++c) {
        int e = min(e0 + c, u_out_size - 1);
        int j = e % u_n;
        int rest = e / u_n;
        int i = rest % u_m;
        int batch = rest / u_m;
        b[c] = element_at(u_bias, u_bias_shift, min(batch * u_bias_strides.x
                          + i * u_bias_strides.y + j * u_bias_strides.z, u_bias_last));
    }
    v += b;
#endif
    return ACTIVATE(v);
}
