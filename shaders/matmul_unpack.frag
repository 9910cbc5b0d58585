// matmul result unpacking: gathers the ROWS block targets back into the flat row-major
// [batches, M, N] output tensor. Sampler arrays cannot be indexed dynamically in GLSL ES 3.00,
// hence the chain of ifs in block_row().
uniform int u_out_shift;
uniform int u_out_size;
uniform int u_m;
uniform int u_n;
uniform int u_m_blocks;
uniform ivec2 u_origin;  // where the product pass put block (0, 0) in the block targets
out vec4 o_result;
//@SAMPLERS

#if defined(EPILOGUE)
//@EPILOGUE
#else
vec4 epilogue(vec4 v, int e0) { return v; }  // plain matmul; fused_matmul adds bias + activation
#endif

vec4 block_texel(int r, ivec2 at) {
//@SELECT
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int t = (frag.y << u_out_shift) + frag.x;
    int e0 = t << 2;
#if defined(ALIGNED)
    int j = e0 % u_n;
    int rest = e0 / u_n;
    int i = rest % u_m;
    int batch = rest / u_m;
    o_result = epilogue(block_texel(i % ROWS, u_origin + ivec2(j >> 2, batch * u_m_blocks + i / ROWS)),
                        e0);
#else
    vec4 v;
    for (int c = 0; c < 4; ++c) {
        int e = min(e0 + c, u_out_size - 1);
        int j = e % u_n;
        int rest = e / u_n;
        int i = rest % u_m;
        int batch = rest / u_m;
        v[c] = block_texel(i % ROWS, u_origin + ivec2(j >> 2, batch * u_m_blocks + i / ROWS))[j & 3];
    }
    o_result = epilogue(v, e0);
#endif
}
