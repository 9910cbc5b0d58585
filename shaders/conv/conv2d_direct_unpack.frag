// conv2d_direct, second pass: gathers the ROWS block targets of shaders/conv2d_direct.frag into
// the flat [groups, N * OH * OW, Cout / groups] output. One output texel is 4 channels of one
// (group, pixel), so it is one texel of one target. Sampler arrays cannot be indexed
// dynamically in GLSL ES 3.00, hence the chain of ifs in block_texel().
// TILED: the targets hold the ids from u_id0 on, one chunk of image rows: this draw writes
// their output texels u_texels.x .. u_texels.y - 1 and leaves the others alone.
uniform int u_out_shift;
uniform int u_out_texels;
uniform ivec2 u_out;       // OH, OW
uniform int u_cog4;
uniform int u_ow_blocks;
uniform int u_grid_w;
uniform ivec2 u_origin;
uniform int u_id0;
#if defined(TILED)
uniform ivec2 u_texels;
#endif
out vec4 o_result;
//@SAMPLERS

#if defined(FLOAT_DIV)
int quotient(int a, int b) { return int((float(a) + 0.5) / float(b)); }
#else
int quotient(int a, int b) { return a / b; }
#endif

vec4 block_texel(int r, ivec2 at) {
//@SELECT
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int t = (frag.y << u_out_shift) + frag.x;
#if defined(TILED)
    if (t < u_texels.x || t >= u_texels.y) discard;
#endif
    t = min(t, u_out_texels - 1);
    int pixel = quotient(t, u_cog4);          // group * N * OH * OW + (n * OH + oh) * OW + ow
    int co4 = t - pixel * u_cog4;
    int row = quotient(pixel, u_out.y);       // (group * N + n) * OH + oh
    int ow = pixel - row * u_out.y;
    int block = row * u_ow_blocks + ow / ROWS;
    int id = block * u_cog4 + co4 - u_id0;
    int y = quotient(id, u_grid_w);
    o_result = block_texel(ow - (ow / ROWS) * ROWS, u_origin + ivec2(id - y * u_grid_w, y));
}
