// Reduction template: one pass combines up to u_chunk elements of the reduced axis of an
// [outer, u_reduce, u_inner] input into [outer, u_out_reduce, u_inner]; the engine repeats passes
// until the axis has length 1 (a logarithmic number of passes). One fragment = 4 outputs.
// Variant (a #define from the generator): INNER4 when inner % 4 == 0 (4 outputs share a texel
// per step), CONTIG4 when inner == 1 and the axis is texel-aligned (whole texels per step),
// else the generic per-element path.
uniform int u_out_shift;
uniform int u_out_size;
INPUT(u_x);   // an image unit with IMAGE_INPUT (templates/common.glsl)
uniform int u_x_shift;
uniform int u_reduce;
uniform int u_inner;
uniform int u_chunk;
uniform int u_out_reduce;
out vec4 o_result;
//@FUNCTIONS

// The input, read by texel or by element. Graph mode may fuse an elementwise prologue into the
// first pass (PROLOGUE): the input is then computed from the prologue's own inputs.
#if defined(PROLOGUE)
//@PROLOGUE
vec4 load_texel(int q) { return prologue_texel(q); }
float load_element(int e) { return prologue_texel(e >> 2)[e & 3]; }
#else
vec4 load_texel(int q) { return TEXEL_AT(u_x, texel_coord(q, u_x_shift)); }
float load_element(int e) { return load_texel(e >> 2)[e & 3]; }
#endif

float horizontal(vec4 s) {
    vec4 h = reduce_combine(reduce_combine(s.xxxx, s.yyyy), reduce_combine(s.zzzz, s.wwww));
    return h.x;
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int t = (frag.y << u_out_shift) + frag.x;
    int e0 = t << 2;
#if defined(INNER4)
    int i = e0 % u_inner;
    int rest = e0 / u_inner;
    int j = rest % u_out_reduce;
    int base = (rest / u_out_reduce) * u_reduce * u_inner + i;
    int r0 = j * u_chunk;
    int r1 = min(r0 + u_chunk, u_reduce);
    vec4 s = vec4(reduce_init());
    for (int r = r0; r < r1; ++r) {
        s = reduce_combine(s, load_texel((base + r * u_inner) >> 2));
    }
    o_result = s;
#else
    vec4 result;
    for (int c = 0; c < 4; ++c) {
        int e = min(e0 + c, u_out_size - 1);
        int i = e % u_inner;
        int rest = e / u_inner;
        int j = rest % u_out_reduce;
        int base = (rest / u_out_reduce) * u_reduce * u_inner + i;
        int r0 = j * u_chunk;
        int r1 = min(r0 + u_chunk, u_reduce);
#if defined(CONTIG4)
        vec4 s = vec4(reduce_init());
        for (int q = (base + r0) >> 2; q < (base + r1) >> 2; ++q) {
            s = reduce_combine(s, load_texel(q));
        }
        result[c] = horizontal(s);
#else
        vec4 s = vec4(reduce_init());
        for (int r = r0; r < r1; ++r) {
            s = reduce_combine(s, vec4(load_element(base + r * u_inner)));
        }
        result[c] = s.x;
#endif
    }
    o_result = result;
#endif
}
