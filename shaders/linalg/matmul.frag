// matmul: C = A B on packed operands. One fragment computes a block of ROWS rows x 4 columns
// of C and writes row r of the block to render target r (register blocking over MRT: each
// B texel fetched feeds ROWS rows, each A texel feeds 4 columns).
// A: texel (k4, batch * M_blocks * ROWS + row) holds A[row, 4 k4 .. 4 k4 + 3].
// B: texel (k, batch * N4 + j4) holds B[k, 4 j4 .. 4 j4 + 3]: a column block's inner dimension
//    runs along one texture row, so the loop reads B sequentially (4 KB-strided rows, one per
//    k, defeated the CPU's prefetch on llvmpipe at n = 1024).
// Both padded with zeros along k to a multiple of 4 UNROLL (the loop's steps per turn).
// Target r: width N/4, height batches * M_blocks.
// Operands are sampled with textureLod at texel centres (NEAREST filtering): on llvmpipe that
// ran 1.4-1.7x faster than texelFetch, whose robust addressing costs more per fetch. Texel
// coordinates are counted in floats (exact: integers + 0.5 far below 2^24) and scaled by the
// textures' reciprocal sizes, so every fetch lands within 1e-3 texel of a centre.
uniform sampler2D u_a;
uniform sampler2D u_b;
uniform vec2 u_a_scale;  // 1 / A's texture size
uniform vec2 u_b_scale;  // 1 / B's texture size
uniform int u_k_steps;   // K / (4 UNROLL), K padded
uniform int u_m_blocks;  // ceil(M / ROWS)
uniform int u_n4;        // ceil(N / 4): B's texture rows per batch
uniform ivec2 u_origin;  // where block (0, 0) sits in the targets (matmul.py: spread over tiles)
//@OUTPUTS

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy) - u_origin;
    int batch = p.y / u_m_blocks;
    float a_row = float(p.y * ROWS) + 0.5;
//@A_ROWS
    float b_v = (float(batch * u_n4 + p.x) + 0.5) * u_b_scale.y;
    float k4 = 0.5;  // A's texel column (centre)
    float k = 0.5;   // B's texel column (centre)
//@ACCUMULATORS
    for (int step = 0; step < u_k_steps; ++step) {
//@STEP
    }
//@STORE
}
