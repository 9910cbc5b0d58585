// Scan template: one pass of a radix-r log-step scan along the middle axis of an
// [outer, u_length, u_inner] tensor. Scan position q combines the inputs at positions
// q - u_shift - j * u_step (j = 0 .. u_terms-1) that lie on the axis, oldest first. Passes with
// u_step = 1, r, r*r, ... (u_terms = r) give the inclusive scan; u_shift = 1 on the first pass
// shifts the input by one, which makes it exclusive. u_terms = u_length makes one pass the plain
// sequential loop. u_reverse scans from the end of the axis. One fragment = 4 outputs.
uniform int u_out_shift;
uniform int u_out_size;
uniform sampler2D u_x;
uniform int u_x_shift;
uniform int u_length;
uniform int u_inner;
uniform int u_step;
uniform int u_terms;
uniform int u_shift;
uniform int u_reverse;
out vec4 o_result;
//@FUNCTIONS

// Output at (line block `base`, axis position p, inner offset i): element base + p * u_inner + i.
float scan_at(int base, int p, int i) {
    int q = u_reverse != 0 ? u_length - 1 - p : p;
    int last = q - u_shift;
    int count = last < 0 ? 0 : min(u_terms, last / u_step + 1);
    float acc = scan_identity();
    for (int j = count - 1; j >= 0; --j) {
        int src = last - j * u_step;
        int pos = u_reverse != 0 ? u_length - 1 - src : src;
        acc = scan_combine(acc, element_at(u_x, u_x_shift, base + pos * u_inner + i));
    }
    return acc;
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int e0 = ((frag.y << u_out_shift) + frag.x) << 2;
    // Integer division is slow on llvmpipe (scalarised): split e0 once, then step along.
    int i = e0 % u_inner;
    int rest = e0 / u_inner;
    int p = rest % u_length;
    int base = (rest - p) * u_inner;
    vec4 result;
    for (int c = 0; c < 4; ++c) {
        result[c] = e0 + c < u_out_size ? scan_at(base, p, i) : 0.0;
        if (++i == u_inner) {
            i = 0;
            if (++p == u_length) {
                p = 0;
                base += u_length * u_inner;
            }
        }
    }
    o_result = result;
}
