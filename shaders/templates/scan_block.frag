// Block scan template: one pass of the block scan of glflow/backends/gl/scan.py along the
// middle axis of an [outer, u_length, u_inner] tensor. The axis is cut into blocks of BLOCK
// consecutive positions (memory order; texels for ROW4). BLOCK is a #define so its loops
// unroll: llvmpipe pays for a loop with a variable trip count (a masked loop, ~2 texel
// fetches' worth) even when it runs once. Passes (#define):
//   UP      the totals: [outer, u_blocks, u_inner], block b of each line combined in scan
//           order; blocks past the line's end (padding) hold the identity.
//   (else)  the scan: output q combines the positions of its block from the block's first
//           one (in scan order) up to q, q itself left out when u_exclusive != 0. With TOTALS
//           it starts from u_t at its block (the exclusive scan of the block totals); without,
//           the line is one block and this is the plain sequential scan.
// u_reverse scans from the end of the axis ("scan order"): blocks stay where they are in
// memory, a reverse block begins at its last position.
// The kernel functions: float scan_identity(); float scan_combine(float acc, float x).
// Layout variants (#define), by code path only:
//   ROW4    u_inner == 1 and u_length % 4 == 0: a texel holds 4 consecutive positions of one
//           line; blocks count texels and every read is a whole texel.
//   INNER4  u_inner % 4 == 0: a texel holds 4 lines at one position: 4 outputs per read.
//   ROW     u_inner == 1, lines not texel-aligned, 4 <= BLOCK <= 16 (or one block): the
//           scan pass reads its own texel and the NEAR texels before it (after it, reversed),
//           which hold every position of the blocks of its 4 elements, and two scanned
//           totals; each element carries on from the one before it in scan order unless it
//           opens a block. UP reads the texels holding its 4 blocks.
//   (none)  any shape, element by element.
uniform int u_out_shift;
uniform int u_out_size;
uniform sampler2D u_x;
uniform int u_x_shift;
uniform int u_x_last;  // the input's last texel
uniform sampler2D u_t;
uniform int u_t_shift;
uniform int u_length;
uniform int u_inner;
uniform int u_blocks;
uniform int u_exclusive;
uniform int u_reverse;
out vec4 o_result;
//@FUNCTIONS

// a / b for 0 <= a < 2^30, b > 0. llvmpipe runs integer division one lane at a time; a float
// quotient (off by a little where a needs more than 24 bits), corrected, stays in SIMD.
int quotient(int a, int b) {
    int q = int(float(a) / float(b));
    q += int(floor(float(a - q * b) / float(b)));
    int r = a - q * b;
    return q + (r >= b ? 1 : 0) - (r < 0 ? 1 : 0);
}

vec4 combine4(vec4 acc, vec4 x) {
    return vec4(scan_combine(acc.x, x.x), scan_combine(acc.y, x.y), scan_combine(acc.z, x.z),
                scan_combine(acc.w, x.w));
}

// acc combined with a texel's components in order (the caller puts them in scan order).
float fold(float acc, vec4 v) {
    return scan_combine(scan_combine(scan_combine(scan_combine(acc, v.x), v.y), v.z), v.w);
}

// First and one-past-last position of block b in scan order, and the step between them.
// The block is clipped to n positions (empty past them: the padding blocks of UP).
ivec3 block_range(int b, int n) {
    int lo = b * BLOCK;
    int hi = max(lo, min(lo + BLOCK, n));
    return u_reverse != 0 ? ivec3(hi - 1, lo - 1, -1) : ivec3(lo, hi, 1);
}

vec4 texel_at(sampler2D s, int shift, int t) {
    return texelFetch(s, texel_coord(t, shift), 0);
}

int flat_index() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    return (frag.y << u_out_shift) + frag.x;
}

#if defined(ROW4)
vec4 texel_in_scan_order(int t) {
    vec4 v = texel_at(u_x, u_x_shift, t);
    return u_reverse != 0 ? v.wzyx : v;
}

#if defined(UP)
// One output texel: blocks kb .. kb+3 of one line (u_blocks % 4 == 0: no texel spans lines).
void main() {
    int t = flat_index();
    int per_line = u_blocks >> 2;
    int line = quotient(t, per_line);
    int kb = (t - line * per_line) << 2;
    int n4 = u_length >> 2;
    int t0 = line * n4;
    vec4 result;
    for (int c = 0; c < 4; ++c) {
        ivec3 r = block_range(kb + c, n4);
        int count = (r.y - r.x) * r.z;
        float acc = scan_identity();
        for (int j = 0; j < BLOCK; ++j) {  // fetch clamped into the line, combine if inside
            vec4 v = texel_in_scan_order(t0 + clamp(r.x + j * r.z, 0, n4 - 1));
            acc = j < count ? fold(acc, v) : acc;
        }
        result[c] = acc;
    }
    o_result = result;
}
#else
void main() {
    int t = flat_index();
    int n4 = u_length >> 2;
    int line = quotient(t, n4);
    int k = t - line * n4;
    int b = k / BLOCK;
#if defined(TOTALS)
    float acc = element_at(u_t, u_t_shift, line * u_blocks + b);
#else
    float acc = scan_identity();
#endif
    ivec3 r = block_range(b, n4);
    int count = (k - r.x) * r.z;  // texels of the block before this one, in scan order
    for (int j = 0; j < BLOCK - 1; ++j) {
        vec4 v = texel_in_scan_order(t - k + (j < count ? r.x + j * r.z : k));
        acc = j < count ? fold(acc, v) : acc;
    }
    vec4 v = texel_in_scan_order(t);
    vec4 s;  // the texel's own positions, in scan order
    float a = scan_combine(acc, v.x);
    s.x = u_exclusive != 0 ? acc : a;
    float b2 = scan_combine(a, v.y);
    s.y = u_exclusive != 0 ? a : b2;
    float c3 = scan_combine(b2, v.z);
    s.z = u_exclusive != 0 ? b2 : c3;
    s.w = u_exclusive != 0 ? c3 : scan_combine(c3, v.w);
    o_result = u_reverse != 0 ? s.wzyx : s;
}
#endif

#elif defined(INNER4)
void main() {
    int e0 = flat_index() << 2;
    int rest = quotient(e0, u_inner);
    int i = e0 - rest * u_inner;
#if defined(UP)
    int o = quotient(rest, u_blocks);
    int b = rest - o * u_blocks;
    int base = o * u_length * u_inner + i;
    ivec3 r = block_range(b, u_length);
    int count = (r.y - r.x) * r.z;
    vec4 acc = vec4(scan_identity());
    for (int j = 0; j < BLOCK; ++j) {
        int p = clamp(r.x + j * r.z, 0, u_length - 1);
        vec4 v = texel_at(u_x, u_x_shift, (base + p * u_inner) >> 2);
        acc = j < count ? combine4(acc, v) : acc;
    }
    o_result = acc;
#else
    int o = quotient(rest, u_length);
    int p = rest - o * u_length;
    int base = o * u_length * u_inner + i;
    int b = p / BLOCK;
#if defined(TOTALS)
    vec4 acc = texel_at(u_t, u_t_shift, ((o * u_blocks + b) * u_inner + i) >> 2);
#else
    vec4 acc = vec4(scan_identity());
#endif
    ivec3 r = block_range(b, u_length);
    int count = (p - r.x) * r.z;
    for (int j = 0; j < BLOCK - 1; ++j) {
        int q = j < count ? r.x + j * r.z : p;
        vec4 v = texel_at(u_x, u_x_shift, (base + q * u_inner) >> 2);
        acc = j < count ? combine4(acc, v) : acc;
    }
    vec4 v = texel_at(u_x, u_x_shift, e0 >> 2);
    o_result = u_exclusive != 0 ? acc : combine4(acc, v);
#endif
}

#else
float x_at(int e) { return element_at(u_x, u_x_shift, e); }

float totals_at(int o, int b, int i) {
#if defined(TOTALS)
    return element_at(u_t, u_t_shift, (o * u_blocks + b) * u_inner + i);
#else
    return scan_identity();
#endif
}

// The fragment's 4 elements e0 .. e0+3 as (o, p, i): outer index, position on the axis (of
// `length` positions), inner offset. Split once (division is slow), then stepped along.
void split(int e0, int length, out ivec4 o, out ivec4 p, out ivec4 i) {
#if defined(ROW)
    int rest = e0;  // u_inner == 1
    int ic = 0;
#else
    int rest = quotient(e0, u_inner);
    int ic = e0 - rest * u_inner;
#endif
    int oc = quotient(rest, length);
    int pc = rest - oc * length;
    for (int c = 0; c < 4; ++c) {
        o[c] = oc;
        p[c] = pc;
        i[c] = ic;
        if (++ic == u_inner) {
            ic = 0;
            if (++pc == length) {
                pc = 0;
                ++oc;
            }
        }
    }
}

#if defined(UP) && defined(ROW)
// One output texel: blocks kb .. kb+3 of one line (u_blocks % 4 == 0), 4 * BLOCK positions
// from `first`, read as the BLOCK + 1 texels that hold them. Each total combines its block in
// memory order (a total's order is not the scan's: only its rounding differs).
void main() {
    int t = flat_index();
    int per_line = u_blocks >> 2;
    int line = quotient(t, per_line);
    int first = (t - line * per_line) * 4 * BLOCK;
    int e = line * u_length + first;
    int off = e & 3;
    float w[4 * BLOCK + 4];
    for (int j = 0; j <= BLOCK; ++j) {
        vec4 v = texel_at(u_x, u_x_shift, min((e >> 2) + j, u_x_last));
        w[4 * j] = v.x;
        w[4 * j + 1] = v.y;
        w[4 * j + 2] = v.z;
        w[4 * j + 3] = v.w;
    }
    vec4 result;
    for (int c = 0; c < 4; ++c) {
        float acc = scan_identity();
        for (int j = 0; j < BLOCK; ++j) {
            int m = c * BLOCK + j;
            float v = off == 0 ? w[m] : off == 1 ? w[m + 1] : off == 2 ? w[m + 2] : w[m + 3];
            acc = first + m < u_length ? scan_combine(acc, v) : acc;
        }
        result[c] = acc;
    }
    o_result = result;
}
#elif defined(UP)
void main() {
    int e0 = flat_index() << 2;
    ivec4 o, b, i;
    split(e0, u_blocks, o, b, i);
    vec4 result = vec4(0.0);
    for (int c = 0; c < 4; ++c) {
        int base = o[c] * u_length * u_inner + i[c];
        ivec3 r = block_range(b[c], u_length);
        int count = (r.y - r.x) * r.z;
        float acc = scan_identity();
        for (int j = 0; j < BLOCK; ++j) {
            float v = x_at(base + clamp(r.x + j * r.z, 0, u_length - 1) * u_inner);
            acc = j < count ? scan_combine(acc, v) : acc;
        }
        result[c] = e0 + c < u_out_size ? acc : 0.0;
    }
    o_result = result;
}
#elif defined(ROW)
const int NEAR = BLOCK > 4 ? (BLOCK + 2) / 4 : 1;  // texels holding BLOCK - 1 neighbours

void main() {
    int t = flat_index();
    int e0 = t << 2;
    ivec4 o, p, i;
    split(e0, u_length, o, p, i);
    vec4 own = texel_at(u_x, u_x_shift, t);
    // the first element in scan order (in reverse: the last one inside the tensor)
    int c0 = u_reverse != 0 ? min(3, u_out_size - 1 - e0) : 0;
    // positions of the first element's block before it: in the NEAR texels before this
    // one, or after it when reversed
    float w[4 * NEAR];
    for (int n = 0; n < NEAR; ++n) {
        int tn = u_reverse != 0 ? min(t + 1 + n, u_x_last) : max(t - NEAR + n, 0);
        vec4 v = texel_at(u_x, u_x_shift, tn);
        w[4 * n] = v.x;
        w[4 * n + 1] = v.y;
        w[4 * n + 2] = v.z;
        w[4 * n + 3] = v.w;
    }
    // The scanned totals the elements start from, two reads: their blocks on c0's line are
    // c0's and the next one in scan order (4 positions reach at most one block further);
    // on the other line (the next one, or the one before when reversed) the line's first
    // block in scan order, whose exclusive scanned total is the identity, and when reversed
    // (a last block of 1 or 2 positions) the block before it, then c0's line holds at most
    // 3 positions of one block.
    int first_block = u_reverse != 0 ? (u_length - 1) / BLOCK : 0;
    int b0 = p[c0] / BLOCK;
    int o1 = o[c0];
    int b1 = min(b0 + 1, u_blocks - 1);
    if (u_reverse != 0) {
        bool straddles = o[0] != o[c0];
        o1 = straddles ? o[0] : o[c0];
        b1 = straddles ? p[0] / BLOCK : max(b0 - 1, 0);
    }
#if defined(TOTALS)
    float s0 = element_at(u_t, u_t_shift, o[c0] * u_blocks + b0);
    float s1 = element_at(u_t, u_t_shift, o1 * u_blocks + b1);
#else
    float s0 = scan_identity();
    float s1 = s0;
#endif
    float run = 0.0;
    vec4 result;
    for (int k = 0; k < 4; ++k) {
        int c = u_reverse != 0 ? 3 - k : k;
        int b = p[c] / BLOCK;
        ivec3 r = block_range(b, u_length);
        int before = (p[c] - r.x) * r.z;  // positions of its block before it, scan order
        float acc = o[c] == o[c0] ? (b == b0 ? s0 : s1)
                                  : (b == first_block ? scan_identity() : s1);
        if (k == 0) {  // the `before` positions next to this texel, in scan order
            for (int m = 0; m < 4 * NEAR; ++m) {
                if (u_reverse != 0) {
                    int n = 4 * NEAR - 1 - m;
                    acc = n < before ? scan_combine(acc, w[n]) : acc;
                } else {
                    acc = m >= 4 * NEAR - before ? scan_combine(acc, w[m]) : acc;
                }
            }
        }
        // a block's first element starts from its total; the others carry on (past the
        // tensor's end, in reverse, the first element in range is a line's last: before 0)
        run = k == 0 || before == 0 ? acc : run;
        result[c] = u_exclusive != 0 ? run : scan_combine(run, own[c]);
        run = scan_combine(run, own[c]);
    }
    o_result = result;
}
#else
void main() {
    int e0 = flat_index() << 2;
    ivec4 o, p, i;
    split(e0, u_length, o, p, i);
    vec4 own = texel_at(u_x, u_x_shift, e0 >> 2);
    vec4 result = vec4(0.0);
    for (int c = 0; c < 4; ++c) {
        int b = p[c] / BLOCK;
        ivec3 r = block_range(b, u_length);
        float run = totals_at(o[c], b, i[c]);
        int base = o[c] * u_length * u_inner + i[c];
        int count = (p[c] - r.x) * r.z;
        for (int j = 0; j < BLOCK - 1; ++j) {
            float v = x_at(base + (j < count ? r.x + j * r.z : p[c]) * u_inner);
            run = j < count ? scan_combine(run, v) : run;
        }
        result[c] = u_exclusive != 0 ? run : scan_combine(run, own[c]);
    }
    o_result = result;
}
#endif
#endif
