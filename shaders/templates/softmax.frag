// Softmax-family template: every element of an [outer, u_length, u_inner] tensor normalised by
// its line's (max, sum of exp(x - max)) pair from the logsumexp pair reduction (u_stats).
// The kernel function: vec4 softmax_apply(vec4 x, vec4 m, vec4 s).
// Variant ROW4 (#define): u_inner == 1 and u_length % 4 == 0, so a texel lies in one line;
// IMAGE_INPUT: u_x is read through an image unit.
uniform int u_out_shift;
uniform int u_out_size;
INPUT(u_x);   // an image unit with IMAGE_INPUT (templates/common.glsl)
uniform sampler2D u_stats;
uniform int u_stats_shift;
uniform int u_length;
uniform int u_inner;
out vec4 o_result;
//@FUNCTIONS

vec2 stats_at(int line) {
    vec4 t = texelFetch(u_stats, texel_coord(line >> 1, u_stats_shift), 0);
    return (line & 1) == 0 ? t.xy : t.zw;
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int e0 = ((frag.y << u_out_shift) + frag.x) << 2;
    vec4 x = SAME_TEXEL(u_x);  // same element count as the output: same texel
#if defined(ROW4)
    vec2 st = stats_at(e0 / u_length);
    o_result = softmax_apply(x, vec4(st.x), vec4(st.y));
#else
    vec4 m;
    vec4 s;
    for (int c = 0; c < 4; ++c) {
        int e = min(e0 + c, u_out_size - 1);
        vec2 st = stats_at((e / (u_length * u_inner)) * u_inner + e % u_inner);
        m[c] = st.x;
        s[c] = st.y;
    }
    o_result = softmax_apply(x, m, s);
#endif
}
