// conv2d without im2col: one fragment computes ROWS horizontally adjacent output pixels x 4
// output channels, reading x and the filters straight from their flat tensors, and writes
// pixel j of its block to render target j (glflow/backends/gl/conv_direct.py unpacks them).
// Block b of the grid: (group, n, oh, ow0 = ROWS * (b % u_ow_blocks)), for output-channel
// texel co4 of the group; fragment id = block * u_cog4 + co4, laid out u_grid_w ids a row.
// Needs Cg % 4 == 0 and (Cout / groups) % 4 == 0, so every x texel is 4 channels of one pixel
// and every filter texel 4 output channels of one (kh, kw, ci) row.
// Positions in the padding, or between the rows of an input dilated by u_lhs, read as 0.
// WINDOW: stride, dilation and input dilation 1 along w, so tap kw + 1 of pixel j reads what
// tap kw of pixel j + 1 read: the ROWS x texels slide by one per tap (one fetch, not ROWS).
// FLOAT_DIV: quotients in float (exact here, see shaders/conv2d.frag; checked on the host).
// A conv whose ids exceed one grid draws them in chunks of whole image rows (group, n, oh):
// ids u_id0 .. u_fragments - 1 this draw (glflow/backends/gl/conv_direct.py).
uniform sampler2D u_x;
uniform sampler2D u_f;
uniform int u_x_shift;
uniform int u_f_shift;
uniform vec2 u_x_scale;    // 1 / the size of x's texture
uniform vec2 u_f_scale;    // 1 / the size of the filters' texture
uniform ivec4 u_in;        // N, H, W, C of x (NHWC)
uniform ivec2 u_out;       // OH, OW
uniform ivec3 u_filter;    // KH, KW, Cg (input channels per group)
uniform int u_cout;        // all output channels (the filters' last dimension)
uniform int u_cog4;        // output-channel texels per group
uniform int u_ow_blocks;   // ceil(OW / ROWS)
uniform int u_id0;         // first id of this draw
uniform int u_fragments;   // end of this draw's ids (all: groups * N * OH * u_ow_blocks * u_cog4)
uniform int u_grid_w;
uniform ivec2 u_origin;    // where id 0 sits in the targets (spread over llvmpipe's tiles)
uniform ivec2 u_stride;
uniform ivec2 u_dilation;
uniform ivec2 u_lhs;       // input dilation: x[i] sits at position i * u_lhs
uniform ivec2 u_pad;       // top, left (may be negative)
//@OUTPUTS

#if defined(FLOAT_DIV)
int quotient(int a, int b) { return int((float(a) + 0.5) / float(b)); }
#else
int quotient(int a, int b) { return a / b; }
#endif

// x index (dilated coordinates) -> undilated index, or -1 where it falls outside x or between
// its dilated rows/columns
int source_index(int p, int lhs, int size) {
    int q = quotient(max(p, 0), lhs);
    return (p < 0 || q * lhs != p || q >= size) ? -1 : q;
}

// First texel of x[n, row, column, group's channel 0] (row_pixel = (n * H + row) * W), or -1
// where column is -1 (outside x)
int column_texel(int row_pixel, int column, int channel4) {
    return column < 0 ? -1 : (row_pixel + column) * (u_in.w >> 2) + channel4;
}

// WINDOW: undilated columns, -1 outside x
int window_column(int c) {
    return (c < 0 || c >= u_in.z) ? -1 : c;
}

// Texel t of a tensor's texture, sampled at its centre (NEAREST): on llvmpipe textureLod
// costs less than texelFetch (shaders/matmul.frag); scale is 1 / the texture's size.
vec4 texel_at(sampler2D s, int t, int shift, vec2 scale) {
    vec2 at = vec2(float(t & ((1 << shift) - 1)), float(t >> shift)) + 0.5;
    return textureLod(s, at * scale, 0.0);
}

// Texel ci4 of the pixel whose first texel is t; zeros for t = -1
vec4 x_texel(int t, int ci4) {
    vec4 v = texel_at(u_x, max(t, 0) + ci4, u_x_shift, u_x_scale);
    return t >= 0 ? v : vec4(0.0);  // a select, not a multiply: inf * 0 would leak a nan
}

// 4 filter rows (input channels ci..ci+3) x 4 output channels, as the columns of a mat4:
// flat texel t of the filters (rows row4 texels apart), or with PACKED_FILTERS texels k ..
// k + 3 of texture row f_v (the filters packed as matmul packs B: texel (row, column block),
// conv_direct.py), whose coordinates need no integer math.
mat4 filter_rows(int t, int row4, float k, float f_v) {
#if defined(PACKED_FILTERS)
    return mat4(textureLod(u_f, vec2((k + 0.5) * u_f_scale.x, f_v), 0.0),
                textureLod(u_f, vec2((k + 1.5) * u_f_scale.x, f_v), 0.0),
                textureLod(u_f, vec2((k + 2.5) * u_f_scale.x, f_v), 0.0),
                textureLod(u_f, vec2((k + 3.5) * u_f_scale.x, f_v), 0.0));
#else
    return mat4(texel_at(u_f, t, u_f_shift, u_f_scale),
                texel_at(u_f, t + row4, u_f_shift, u_f_scale),
                texel_at(u_f, t + 2 * row4, u_f_shift, u_f_scale),
                texel_at(u_f, t + 3 * row4, u_f_shift, u_f_scale));
#endif
}

void main() {
    ivec2 p = ivec2(gl_FragCoord.xy) - u_origin;
    int id = u_id0 + p.y * u_grid_w + p.x;
//@ACCUMULATORS
    if (id < u_fragments) {
        int block = quotient(id, u_cog4);
        int co4 = id - block * u_cog4;
        int rest = quotient(block, u_ow_blocks);
        int ow0 = (block - rest * u_ow_blocks) * ROWS;
        int image = quotient(rest, u_out.x);  // group * N + n
        int oh = rest - image * u_out.x;
        int group = quotient(image, u_in.x);
        int n = image - group * u_in.x;
        int cg4 = u_filter.z >> 2;
        int channel4 = group * cg4;
        int row4 = u_cout >> 2;                   // filter texels per (kh, kw, ci) row
        int f_col = group * u_cog4 + co4;
        float f_v = (float(f_col) + 0.5) * u_f_scale.y;  // PACKED_FILTERS: this block's row
        for (int kh = 0; kh < u_filter.x; ++kh) {
            int ih = source_index(oh * u_stride.x + kh * u_dilation.x - u_pad.x, u_lhs.x,
                                  u_in.y);
            if (ih < 0) continue;
            int row_pixel = (n * u_in.y + ih) * u_in.z;
#if defined(WINDOW)
            int first = ow0 - u_pad.y;  // column of pixel 0 at tap 0
            for (int ci4 = 0; ci4 < cg4; ++ci4) {
//@WINDOW_LOAD
                int f = (kh * u_filter.y * u_filter.z + 4 * ci4) * row4 + f_col;
                float k = float(kh * u_filter.y * u_filter.z + 4 * ci4);
                for (int kw = 0; kw < u_filter.y; ++kw) {
                    mat4 b = filter_rows(f, row4, k, f_v);
//@WINDOW_MULTIPLY_ADD
//@WINDOW_SLIDE
                    f += u_filter.z * row4;
                    k += float(u_filter.z);
                }
            }
#else
            for (int kw = 0; kw < u_filter.y; ++kw) {
                int shift = kw * u_dilation.y - u_pad.y;
//@COLUMNS
                int f = ((kh * u_filter.y + kw) * u_filter.z) * row4 + f_col;
                float k = float((kh * u_filter.y + kw) * u_filter.z);
                for (int ci4 = 0; ci4 < cg4; ++ci4) {
                    mat4 b = filter_rows(f, row4, k, f_v);
//@MULTIPLY_ADD
                    f += 4 * row4;
                    k += 4.0;
                }
            }
#endif
        }
    }
//@STORE
}
