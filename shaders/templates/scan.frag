// Scan template: one pass of a radix-r log-step scan along the middle axis of an
// [outer, u_length, u_inner] tensor. Scan position q combines the inputs at q - u_shift -
// j * u_step (j = 0 .. u_terms-1) that lie on the axis, oldest first. Passes with u_step = 1,
// r, r*r, ... (u_terms = r) give the inclusive scan; u_shift = 1 on the first pass shifts the
// input by one, which makes it exclusive; u_terms >= the axis length makes one pass the plain
// sequential loop. u_reverse scans from the end of the axis ("scan order" below).
// The kernel functions: float scan_identity(); float scan_combine(float acc, float x).
// Variants (#define), by code path only:
//   INNER4  u_inner % 4 == 0: a texel holds 4 lines at the same axis position, so every term
//           is one whole-texel read.
//   ROW4    u_inner == 1 and u_length % 4 == 0: a texel holds 4 consecutive positions of one
//           line. Positions are counted in texels (u_step, u_terms): the first pass (u_first)
//           scans inside each texel and adds the totals of the u_terms - 1 texels before it;
//           later passes add the last (scan order) component of earlier partial texels.
//   (none)  any shape: each output element reads its terms one element at a time.
uniform int u_out_shift;
uniform int u_out_size;
uniform sampler2D u_x;
uniform int u_x_shift;
uniform int u_length;
uniform int u_inner;
uniform int u_step;
uniform int u_terms;
uniform int u_shift;
uniform int u_reverse;
uniform int u_first;
out vec4 o_result;
//@FUNCTIONS

vec4 combine4(vec4 acc, vec4 x) {
    return vec4(scan_combine(acc.x, x.x), scan_combine(acc.y, x.y), scan_combine(acc.z, x.z),
                scan_combine(acc.w, x.w));
}

#if defined(ROW4)
// Texel s (in scan order) of the line whose texels start at t0, components in scan order.
vec4 line_texel(int t0, int s) {
    int n4 = u_length >> 2;
    vec4 v = texelFetch(u_x, texel_coord(t0 + (u_reverse != 0 ? n4 - 1 - s : s), u_x_shift), 0);
    return u_reverse != 0 ? v.wzyx : v;
}

// Texel s of the input as this pass sees it: shifted one position on an exclusive first pass.
vec4 input_texel(int t0, int s) {
    vec4 v = s >= 0 ? line_texel(t0, s) : vec4(scan_identity());
    if (u_shift == 0) {
        return v;
    }
    float before = s >= 1 ? line_texel(t0, s - 1).w : scan_identity();
    return vec4(before, v.xyz);
}

vec4 local_scan(vec4 v) {
    float a = scan_combine(v.x, v.y);
    float b = scan_combine(a, v.z);
    return vec4(v.x, a, b, scan_combine(b, v.w));
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int t = (frag.y << u_out_shift) + frag.x;
    int n4 = u_length >> 2;
    int k = t % n4;
    int t0 = t - k;
    int s = u_reverse != 0 ? n4 - 1 - k : k;
    int count = min(u_terms, s / u_step + 1);
    float acc = scan_identity();
    for (int j = count - 1; j >= 1; --j) {
        vec4 earlier = input_texel(t0, s - j * u_step);
        acc = scan_combine(acc, u_first != 0 ? local_scan(earlier).w : earlier.w);
    }
    vec4 own = input_texel(t0, s);
    vec4 result = combine4(vec4(acc), u_first != 0 ? local_scan(own) : own);
    o_result = u_reverse != 0 ? result.wzyx : result;
}

#elif defined(INNER4)
void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int e0 = ((frag.y << u_out_shift) + frag.x) << 2;
    int i = e0 % u_inner;
    int rest = e0 / u_inner;
    int p = rest % u_length;
    int base = (rest - p) * u_inner + i;
    int q = u_reverse != 0 ? u_length - 1 - p : p;
    int last = q - u_shift;
    int count = last < 0 ? 0 : min(u_terms, last / u_step + 1);
    vec4 acc = vec4(scan_identity());
    for (int j = count - 1; j >= 0; --j) {
        int src = last - j * u_step;
        int pos = u_reverse != 0 ? u_length - 1 - src : src;
        acc = combine4(acc, texelFetch(u_x, texel_coord((base + pos * u_inner) >> 2,
                                                         u_x_shift), 0));
    }
    o_result = acc;
}

#else
// Output at (line block `base`, axis position p, inner offset i): element base + p * u_inner + i.
float scan_at(int base, int p, int i) {
    int q = u_reverse != 0 ? u_length - 1 - p : p;
    int last = q - u_shift;
    int count = last < 0 ? 0 : min(u_terms, last / u_step + 1);
    float acc = scan_identity();
    for (int j = count - 1; j >= 0; --j) {
        int src = last - j * u_step;
        int pos = u_reverse != 0 ? u_length - 1 - src : src;
        acc = scan_combine(acc, element_at(u_x, u_x_shift, base + pos * u_inner + i));
    }
    return acc;
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int e0 = ((frag.y << u_out_shift) + frag.x) << 2;
    // Integer division is slow on llvmpipe (scalarised): split e0 once, then step along.
    int i = e0 % u_inner;
    int rest = e0 / u_inner;
    int p = rest % u_length;
    int base = (rest - p) * u_inner;
    vec4 result;
    for (int c = 0; c < 4; ++c) {
        result[c] = e0 + c < u_out_size ? scan_at(base, p, i) : 0.0;
        if (++i == u_inner) {
            i = 0;
            if (++p == u_length) {
                p = 0;
                base += u_length * u_inner;
            }
        }
    }
    o_result = result;
}
#endif
