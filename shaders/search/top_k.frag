// top_k: int32 indices (stored as floats) of the k first elements of each line of the last
// axis in the order "larger value first, nan before any number, equal values by lower index",
// a total order on (value, index) pairs. Variants (#define), by code path:
//   (none)   selection: output slot r of a line takes r + 1 scans of the line, each picking
//            the first element after the previous pick; a fragment writes 4 consecutive slots
//            and continues from its previous pick. O(length * k^2 / 8) reads per line: small k.
//   RANKS    pass 1 of the ranking path: every element's rank in its line (how many elements
//            come before it). O(length^2) compares per line, whatever k.
//   BY_RANK  pass 2: output slot r holds the index whose rank is r (u_x holds the ranks).
uniform int u_out_shift;
uniform int u_out_size;
uniform sampler2D u_x;
uniform int u_x_shift;
uniform int u_length;
uniform int u_k;
out vec4 o_result;

bool before(float a, int ia, float b, int ib) {
    bool na = isnan(a);
    bool nb = isnan(b);
    if (na || nb) {
        return na && nb ? ia < ib : na;
    }
    return a > b || (a == b && ia < ib);
}

#if defined(RANKS)
void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int e0 = ((frag.y << u_out_shift) + frag.x) << 2;
    vec4 result;
    for (int c = 0; c < 4; ++c) {
        int e = min(e0 + c, u_out_size - 1);
        int i = e % u_length;
        int base = e - i;
        float v = element_at(u_x, u_x_shift, e);
        int rank = 0;
        for (int j = 0; j < u_length; ++j) {
            rank += before(element_at(u_x, u_x_shift, base + j), j, v, i) ? 1 : 0;
        }
        result[c] = float(rank);
    }
    o_result = result;
}

#elif defined(BY_RANK)
void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int p0 = ((frag.y << u_out_shift) + frag.x) << 2;
    vec4 result;
    for (int c = 0; c < 4; ++c) {
        int p = min(p0 + c, u_out_size - 1);
        int l = p / u_k;
        float r = float(p - l * u_k);
        int base = l * u_length;
        int at = 0;
        for (int j = 0; j < u_length; ++j) {
            at = element_at(u_x, u_x_shift, base + j) == r ? j : at;
        }
        result[c] = float(at);
    }
    o_result = result;
}

#else
// The index of the element of the line at `base` that comes right after (prev, iprev) in
// the order; iprev < 0 asks for the first one.
int next_index(int base, float prev, int iprev) {
    int at = -1;
    float best = 0.0;
    for (int i = 0; i < u_length; ++i) {
        float v = element_at(u_x, u_x_shift, base + i);
        if ((iprev < 0 || before(prev, iprev, v, i)) && (at < 0 || before(v, i, best, at))) {
            best = v;
            at = i;
        }
    }
    return at;
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int p0 = ((frag.y << u_out_shift) + frag.x) << 2;
    vec4 result;
    int line = -1;
    int slot = -1;
    int at = -1;
    float value = 0.0;
    for (int c = 0; c < 4; ++c) {
        int p = min(p0 + c, u_out_size - 1);
        int l = p / u_k;
        int r = p - l * u_k;
        if (l != line || r < slot) {
            line = l;
            slot = -1;
            at = -1;
        }
        int base = l * u_length;
        for (; slot < r; ++slot) {
            at = next_index(base, value, at);
            value = element_at(u_x, u_x_shift, base + at);
        }
        result[c] = float(at);
    }
    o_result = result;
}
#endif
