// matmul result unpacking: gathers the ROWS block targets back into the flat row-major
// [batches, M, N] output tensor. Sampler arrays cannot be indexed dynamically in GLSL ES 3.00,
// hence the chain of ifs in block_row().
// TILED: the targets hold one tile of a larger product (glflow/backends/gl/matmul.py), batches
// u_tile_start.x.., rows .y.., columns .z..; texels outside it are another tile's and are left
// alone. ALIGNED (N % 4 == 0): a texel is the tile's when its first element is. Otherwise the
// tile is the elements u_elements.x .. .y - 1 and this draw writes texels u_texels.x ..
// .y - 1; a texel it shares with a neighbour is drawn alone, the neighbour's components
// masked off on the host, so its components read positions clamped into the tile.
uniform int u_out_shift;
uniform int u_out_size;
uniform int u_m;
uniform int u_n;
uniform int u_m_blocks;
uniform ivec2 u_origin;  // where the product pass put block (0, 0) in the block targets
#if defined(TILED)
uniform ivec3 u_tile_start;
uniform ivec3 u_tile_size;
uniform ivec2 u_elements;
uniform ivec2 u_texels;
#endif
out vec4 o_result;
//@SAMPLERS

#if defined(EPILOGUE)
//@EPILOGUE
#else
vec4 epilogue(vec4 v, int e0) { return v; }  // plain matmul; fused_matmul pastes gl/epilogue.py
#endif

vec4 block_texel(int r, ivec2 at) {
//@SELECT
}

// FLOAT_DIV: every dividend here is below 2^22 (checked on the host), where a float quotient
// is off by less than 1 and one correction makes it exact. llvmpipe has no SIMD integer
// division: four per texel were most of this pass's time (11 ms of 1M elements).
#if defined(FLOAT_DIV)
int quotient(int a, int b) {
    int q = int(float(a) / float(b));
    int r = a - q * b;
    return q + (r >= b ? 1 : 0) - (r < 0 ? 1 : 0);
}
#else
int quotient(int a, int b) { return a / b; }
#endif

// (batch, row, column) of element e, relative to the tile when TILED
ivec3 position(int e) {
    int rest = quotient(e, u_n);
    int j = e - rest * u_n;
    int batch = quotient(rest, u_m);
    ivec3 p = ivec3(batch, rest - batch * u_m, j);
#if defined(TILED)
    p -= u_tile_start;
#endif
    return p;
}

// The texel of block targets holding position p (its component: p.z & 3)
vec4 product_texel(ivec3 p) {
    return block_texel(p.y % ROWS, u_origin + ivec2(p.z >> 2, p.x * u_m_blocks + p.y / ROWS));
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int t = (frag.y << u_out_shift) + frag.x;
    int e0 = t << 2;
#if defined(ALIGNED)
    ivec3 p0 = position(e0);
#if defined(TILED)
    if (any(lessThan(p0, ivec3(0))) || any(greaterThanEqual(p0, u_tile_size))) discard;
#endif
    o_result = epilogue(product_texel(p0), e0);
#else
#if defined(TILED)
    if (t < u_texels.x || t >= u_texels.y) discard;
#endif
    vec4 v;
    for (int c = 0; c < 4; ++c) {
#if defined(TILED)
        ivec3 p = position(clamp(e0 + c, u_elements.x, u_elements.y - 1));
#else
        ivec3 p = position(min(e0 + c, u_out_size - 1));
#endif
        v[c] = product_texel(p)[p.z & 3];
    }
    o_result = epilogue(v, e0);
#endif
}
