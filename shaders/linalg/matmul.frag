// matmul: C = A B on packed operands. One fragment computes a block of ROWS rows x 4 columns
// of C and writes row r of the block to render target r (register blocking over MRT: each
// B texel fetched feeds ROWS rows, each A texel feeds 4 columns).
// A: width K/4, height batches * M_blocks * ROWS.  B: width N/4, height batches * K_padded.
// Target r: width N/4, height batches * M_blocks.
uniform sampler2D u_a;
uniform sampler2D u_b;
uniform int u_k4;        // K / 4 (padded)
uniform int u_m_blocks;  // ceil(M / ROWS)
uniform ivec2 u_origin;  // where block (0, 0) sits in the targets (matmul.py: spread over tiles)
//@OUTPUTS

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy) - u_origin;
    int batch = p.y / u_m_blocks;
    int a_row = p.y * ROWS;
    int b_row = batch * u_k4 * 4;
//@ACCUMULATORS
    for (int k4 = 0; k4 < u_k4; ++k4) {
        int k = b_row + 4 * k4;
        mat4 b = mat4(texelFetch(u_b, ivec2(p.x, k), 0), texelFetch(u_b, ivec2(p.x, k + 1), 0),
                      texelFetch(u_b, ivec2(p.x, k + 2), 0), texelFetch(u_b, ivec2(p.x, k + 3), 0));
//@MULTIPLY_ADD
    }
//@STORE
}
