// Pair-reduction template: reductions that carry two numbers per partial result, such as
// (value, index) for argmax or (max, sum of exp(x - max)) for logsumexp and softmax.
// One pass combines up to u_chunk elements of the reduced axis of an [outer, u_reduce, u_inner]
// input into [outer, u_out_reduce, u_inner] pairs; the engine repeats passes until the axis has
// length 1. Variants (#define): FIRST when the input holds raw elements (else pairs, two per
// texel); CONTIG4 (with FIRST) when inner == 1 and the chunks are texel-aligned, so whole
// texels are read; FINAL when the output holds one number per result, pair_final(pair) (else
// pairs); IMAGE_INPUT when the input is read through an image unit. The kernel functions:
//   vec2 pair_scan(int base, int stride, int r0, int r1): raw elements base + r * stride,
//       r in [r0, r1);
//   vec2 pair_scan4(int q0, int q1, int r0): raw elements of texels [q0, q1), the first at
//       axis position r0;
//   vec2 pair_combine(vec2 earlier, vec2 later);  float pair_final(vec2 p).
// Pairs are combined in axis order, so "first occurrence" rules hold.
uniform int u_out_shift;
uniform int u_out_size;
INPUT(u_x);
uniform int u_x_shift;
uniform int u_reduce;
uniform int u_inner;
uniform int u_chunk;
uniform int u_out_reduce;
out vec4 o_result;

vec4 texel_at(int q) {
    return TEXEL_AT(u_x, texel_coord(q, u_x_shift));
}

float x_at(int e) {
    return texel_at(e >> 2)[e & 3];
}

vec2 pair_at(int p) {
    vec4 t = texel_at(p >> 1);
    return (p & 1) == 0 ? t.xy : t.zw;
}
//@FUNCTIONS

// The partial result number o of this pass: (outer, chunk j, inner i) of the output.
vec2 partial(int o) {
    int i = o % u_inner;
    int rest = o / u_inner;
    int j = rest % u_out_reduce;
    int base = (rest / u_out_reduce) * u_reduce * u_inner + i;
    int r0 = j * u_chunk;
    int r1 = min(r0 + u_chunk, u_reduce);
#if defined(FIRST) && defined(CONTIG4)
    return pair_scan4((base + r0) >> 2, (base + r1) >> 2, r0);
#elif defined(FIRST)
    return pair_scan(base, u_inner, r0, r1);
#else
    vec2 acc = pair_at(base + r0 * u_inner);
    for (int r = r0 + 1; r < r1; ++r) {
        acc = pair_combine(acc, pair_at(base + r * u_inner));
    }
    return acc;
#endif
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int t = (frag.y << u_out_shift) + frag.x;
#if defined(FINAL)
    vec4 result;
    for (int c = 0; c < 4; ++c) {
        result[c] = pair_final(partial(min((t << 2) + c, u_out_size - 1)));
    }
    o_result = result;
#else
    o_result = vec4(partial(min(t << 1, u_out_size - 1)),
                    partial(min((t << 1) + 1, u_out_size - 1)));
#endif
}
