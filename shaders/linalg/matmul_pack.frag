// matmul operand packing: a batch of [rows, cols] matrices, read through strides from a flat
// tensor (so transposes cost nothing extra), written as a texture of texels that each hold 4
// consecutive columns of one row, zero past the real rows and columns.
// A (default): texel (col / 4, batch * u_rows_padded + row), width ceil(cols / 4).
// B (COLUMN_BLOCKS): texel (row, batch * ceil(cols / 4) + col / 4): a column block's rows run
//    along one texture row, which the product pass reads in order (shaders/linalg/matmul.frag).
// A tile of a larger matmul (glflow/backends/gl/matmul.py) reads its block from u_offset on.
uniform sampler2D u_x;
uniform int u_x_shift;
uniform int u_offset;
uniform int u_rows;
uniform int u_cols;
uniform int u_rows_padded;  // A: texture rows per batch; B: ceil(cols / 4)
uniform int u_batch_stride;
uniform int u_row_stride;
uniform int u_col_stride;
out vec4 o_result;

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
#if defined(COLUMN_BLOCKS)
    int batch = frag.y / u_rows_padded;
    int row = frag.x;
    int col = (frag.y - batch * u_rows_padded) << 2;
#else
    int batch = frag.y / u_rows_padded;
    int row = frag.y - batch * u_rows_padded;
    int col = frag.x << 2;
#endif
    vec4 v = vec4(0.0);
    if (row < u_rows && col < u_cols) {
        int base = u_offset + batch * u_batch_stride + row * u_row_stride + col * u_col_stride;
#if defined(ALIGNED)
        v = texelFetch(u_x, texel_coord(base >> 2, u_x_shift), 0);
#else
        for (int c = 0; c < 4; ++c) {
            if (col + c < u_cols) {
                v[c] = element_at(u_x, u_x_shift, base + c * u_col_stride);
            }
        }
#endif
    }
    o_result = v;
}
