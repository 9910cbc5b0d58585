// pad: out[m] = x[k] where, along every axis, m = base + k * step, k inside x; elsewhere the
// constant (PAD_CONSTANT) or a mirror image of x (PAD_REFLECT: edge not repeated,
// PAD_SYMMETRIC: edge repeated; step is 1 there). With step != 1 the same pass scatters a
// strided slice's gradient back into zeros, so slice, strided_slice, getitem and pad share it.
// Code-path defines from the runtime: RANK (>= 1) and the mode.
#ifndef RANK
#define RANK 1
#endif
#if !defined(PAD_CONSTANT) && !defined(PAD_REFLECT) && !defined(PAD_SYMMETRIC)
#define PAD_CONSTANT
#endif
uniform sampler2D u_x;
uniform int u_x_shift;
uniform int u_out_shift;
uniform int u_out_size;
uniform int u_out_dims[RANK];
uniform int u_in_dims[RANK];
uniform int u_base[RANK];
uniform int u_step[RANK];
uniform float u_value;
out vec4 o_result;

float padded(int e) {
    int rem = e;
    int idx = 0;
    int stride = 1;
    bool inside = true;
    for (int d = RANK - 1; d >= 0; --d) {
        int q = rem / u_out_dims[d];
        int s = rem - q * u_out_dims[d] - u_base[d];
        rem = q;
        int n = u_in_dims[d];
#if defined(PAD_CONSTANT)
        // k = s / step without dividing negatives (undefined rounding in GLSL)
        int jump = abs(u_step[d]);
        int signed_s = u_step[d] < 0 ? -s : s;
        int k = signed_s >= 0 ? signed_s / jump : -1;
        inside = inside && k >= 0 && k * jump == signed_s && k < n;
#elif defined(PAD_REFLECT)
        int k = (n - 1) - abs((n - 1) - abs(s));
#else
        int k = s < 0 ? -s - 1 : (s >= n ? 2 * n - 1 - s : s);
#endif
        idx += k * stride;
        stride *= n;
    }
    return inside ? element_at(u_x, u_x_shift, idx) : u_value;
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int e0 = ((frag.y << u_out_shift) + frag.x) << 2;
    vec4 v;
    for (int c = 0; c < 4; ++c) {
        v[c] = padded(min(e0 + c, u_out_size - 1));
    }
    o_result = v;
}
