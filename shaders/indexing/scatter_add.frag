// scatter_add: out[b, p, a, i] = sum of updates[b, p, j, i] over the j with indices[b, j] == a
// (duplicates add), the gradient of gather and the body of scatter_nd.
// No atomics or blending: the host sorts the indices once (CSR), so each output element walks
// only its own contributions, in a fixed order (deterministic):
//   order:   positions b * count + j sorted by target key b * axis + a
//   offsets: [batch * axis + 1], contributions of key q are order[offsets[q] .. offsets[q + 1])
// updates: [batch, pre, count, inner]; out: [batch, pre, axis, inner].
// INNER4: inner % 4 == 0, so a texel of the output sums whole texels of updates.
uniform sampler2D u_updates;
uniform int u_updates_shift;
uniform sampler2D u_order;
uniform int u_order_shift;
uniform sampler2D u_offsets;
uniform int u_offsets_shift;
uniform int u_out_shift;
uniform int u_out_size;
uniform int u_pre;
uniform int u_axis;
uniform int u_count;
uniform int u_inner;
out vec4 o_result;

#if defined(INNER4)
#define VALUE vec4
#define READ(at) texelFetch(u_updates, texel_coord((at) >> 2, u_updates_shift), 0)
#else
#define VALUE float
#define READ(at) element_at(u_updates, u_updates_shift, at)
#endif

// Sum of the contributions to output element e (to the texel starting at e under INNER4).
VALUE scattered(int e) {
    int i = e % u_inner;
    int rest = e / u_inner;
    int a = rest % u_axis;
    rest /= u_axis;
    int p = rest % u_pre;
    int b = rest / u_pre;
    int key = b * u_axis + a;
    int first = int(element_at(u_offsets, u_offsets_shift, key));
    int last = int(element_at(u_offsets, u_offsets_shift, key + 1));
    int row = (b * u_pre + p) * u_count;
    VALUE total = VALUE(0.0);
    for (int k = first; k < last; ++k) {
        int j = int(element_at(u_order, u_order_shift, k)) - b * u_count;
        total += READ((row + j) * u_inner + i);
    }
    return total;
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int e0 = ((frag.y << u_out_shift) + frag.x) << 2;
#if defined(INNER4)
    o_result = scattered(e0);
#else
    vec4 v;
    for (int c = 0; c < 4; ++c) {
        v[c] = scattered(min(e0 + c, u_out_size - 1));
    }
    o_result = v;
#endif
}
