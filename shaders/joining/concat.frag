// concat: joins N inputs along one axis in one pass. Seen as rows, input k is [outer, len_k]
// (len_k = its axis size * the inner size) and the output is [outer, sum of len_k]; output
// column c belongs to the input whose range [start_k, start_k + len_k) holds it.
// The runtime fills the marked lines for N inputs (sampler arrays cannot be indexed
// dynamically in GLSL ES 3.00, hence one sampler and one branch per input). ALIGNED: every
// len_k is a multiple of 4, so an output texel is one whole texel of one input.
uniform int u_out_shift;
uniform int u_out_size;
uniform int u_row;      // output row length: sum of len_k
out vec4 o_result;
//@DECLARATIONS

// Flat position of output element (o, c) in input k, given that input's start and length.
int source_index(int o, int c, int start, int len) {
    return o * len + c - start;
}

#if defined(ALIGNED)
vec4 joined_texel(int e) {
    int o = e / u_row;
    int c = e - o * u_row;
//@SELECT_TEXEL
}
#else
float joined(int e) {
    int o = e / u_row;
    int c = e - o * u_row;
//@SELECT_ELEMENT
}
#endif

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int e0 = ((frag.y << u_out_shift) + frag.x) << 2;
#if defined(ALIGNED)
    o_result = joined_texel(e0);
#else
    vec4 v;
    for (int c = 0; c < 4; ++c) {
        v[c] = joined(min(e0 + c, u_out_size - 1));
    }
    o_result = v;
#endif
}
