// band_part: out[b, r, c] = x[b, r, c] when (lower < 0 or r - c <= lower) and
// (upper < 0 or c - r <= upper), else 0. x is read through (batch, row, column) strides, so
// diag(v) is this pass over v with row stride 1 and column stride 0 (no copy first).
uniform sampler2D u_x;
uniform int u_x_shift;
uniform int u_out_shift;
uniform int u_out_size;
uniform int u_rows;
uniform int u_cols;
uniform int u_lower;
uniform int u_upper;
uniform ivec3 u_strides;   // batch, row, column strides of x
out vec4 o_result;

float banded(int e) {
    int c = e % u_cols;
    int rest = e / u_cols;
    int r = rest % u_rows;
    int b = rest / u_rows;
    bool inside = (u_lower < 0 || r - c <= u_lower) && (u_upper < 0 || c - r <= u_upper);
    return inside ? element_at(u_x, u_x_shift, b * u_strides.x + r * u_strides.y
                                               + c * u_strides.z) : 0.0;
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int e0 = ((frag.y << u_out_shift) + frag.x) << 2;
    vec4 v;
    for (int c = 0; c < 4; ++c) {
        v[c] = banded(min(e0 + c, u_out_size - 1));
    }
    o_result = v;
}
