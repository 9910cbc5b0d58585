// conv2d_filter_grad, second pass: adds up the chunks of shaders/conv2d_filter_grad.frag and
// writes the flat dW [KH, KW, Cg, Cout]. Element e of dW is row e / Cout (kh, kw, ci), channel
// e % Cout (group, co); it sits in row r = row % 4 of row block row / 4, channel texel h of
// co block co / (4 * CO_TEXELS), component co % 4: target r * CO_TEXELS + h.
// Chunk c's copy of a fragment is u_chunk_ids ids further on; that stride, in grid rows and
// columns, is u_chunk_step, so the loop over chunks has no division.
// ALIGNED: Cout / groups % 4 == 0, so a dW texel is one texel of one target.
// TILED: the targets hold one piece of dW's row blocks (from u_row_block0 on): this draw
// writes its texels u_texels.x .. u_texels.y - 1 and leaves the others alone.
// Sampler arrays cannot be indexed dynamically in GLSL ES 3.00, hence the chain of ifs.
uniform int u_out_shift;
uniform int u_out_texels;
uniform int u_out_size;
uniform int u_cout;
uniform int u_cog;
uniform int u_row_blocks;
uniform int u_row_block0;
uniform int u_co_blocks;
uniform int u_chunks;
uniform int u_grid_w;
uniform ivec2 u_chunk_step;  // (columns, rows) between a fragment's copies in consecutive chunks
uniform ivec2 u_origin;
#if defined(TILED)
uniform ivec2 u_texels;
#endif
out vec4 o_result;
//@SAMPLERS

vec4 block_texel(int target, ivec2 at) {
//@SELECT
}

// Sum over chunks of target `target` at fragment id
vec4 chunk_sum(int target, int id) {
    int y = id / u_grid_w;
    ivec2 at = ivec2(id - y * u_grid_w, y);
    vec4 total = vec4(0.0);
    for (int c = 0; c < u_chunks; ++c) {
        total += block_texel(target, u_origin + at);
        at += u_chunk_step;
        if (at.x >= u_grid_w) { at.x -= u_grid_w; at.y += 1; }
    }
    return total;
}

// Target and fragment id (chunk 0) holding dW element e; the component is returned in .z
ivec3 locate(int e) {
    int row = e / u_cout;
    int channel = e - row * u_cout;
    int group = channel / u_cog;
    int co = channel - group * u_cog;
    int co_block = co / (4 * CO_TEXELS);
    int in_block = co - co_block * 4 * CO_TEXELS;
    int row_block = (row >> 2) - u_row_block0;
    int id = (group * u_row_blocks + row_block) * u_co_blocks + co_block;
    return ivec3((row & 3) * CO_TEXELS + (in_block >> 2), id, in_block & 3);
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int t = (frag.y << u_out_shift) + frag.x;
#if defined(TILED)
    if (t < u_texels.x || t >= u_texels.y) discard;
#endif
    t = min(t, u_out_texels - 1);
#if defined(ALIGNED)
    ivec3 at = locate(4 * t);
    o_result = chunk_sum(at.x, at.y);
#else
    vec4 v = vec4(0.0);
    for (int k = 0; k < 4; ++k) {
        int e = min(4 * t + k, u_out_size - 1);
        ivec3 at = locate(e);
        v[k] = chunk_sum(at.x, at.y)[at.z];
    }
    o_result = v;
#endif
}
