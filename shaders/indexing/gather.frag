// gather: out[b, p, j, i] = x[b, p, indices[b, j], i] on the flat views
// x: [batch, pre, axis, inner], indices: [batch, count], out: [batch, pre, count, inner].
// Indices are range-checked on the host before this pass (see glflow/ops/gather.py).
// INNER4: inner % 4 == 0, so the 4 elements of an output texel are one texel of x.
uniform sampler2D u_x;
uniform int u_x_shift;
uniform sampler2D u_indices;
uniform int u_indices_shift;
uniform int u_out_shift;
uniform int u_out_size;
uniform int u_pre;
uniform int u_axis;
uniform int u_count;
uniform int u_inner;
out vec4 o_result;

// Flat index in x of output element e.
int source_index(int e) {
    int i = e % u_inner;
    int rest = e / u_inner;
    int j = rest % u_count;
    rest /= u_count;
    int p = rest % u_pre;
    int b = rest / u_pre;
    int k = int(element_at(u_indices, u_indices_shift, b * u_count + j));
    return ((b * u_pre + p) * u_axis + k) * u_inner + i;
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int e0 = ((frag.y << u_out_shift) + frag.x) << 2;
#if defined(INNER4)
    o_result = texelFetch(u_x, texel_coord(source_index(e0) >> 2, u_x_shift), 0);
#else
    vec4 v;
    for (int c = 0; c < 4; ++c) {
        v[c] = element_at(u_x, u_x_shift, source_index(min(e0 + c, u_out_size - 1)));
    }
    o_result = v;
#endif
}
