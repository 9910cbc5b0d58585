// (value, index) pairs for argmax/argmin: the kernel defines arg_better(v, best), true when
// v should replace best; ties keep the earlier index (first occurrence, like numpy).
vec2 pair_scan(int base, int stride, int r0, int r1) {
    float best = x_at(base + r0 * stride);
    int at = r0;
    for (int r = r0 + 1; r < r1; ++r) {
        float v = x_at(base + r * stride);
        if (arg_better(v, best)) {
            best = v;
            at = r;
        }
    }
    return vec2(best, float(at));
}

vec2 pair_scan4(int q0, int q1, int r0) {
    float best = texel_at(q0).x;
    int at = r0;
    for (int q = q0; q < q1; ++q) {
        vec4 v = texel_at(q);
        for (int c = 0; c < 4; ++c) {
            if (arg_better(v[c], best)) {
                best = v[c];
                at = r0 + ((q - q0) << 2) + c;
            }
        }
    }
    return vec2(best, float(at));
}

vec2 pair_combine(vec2 earlier, vec2 later) {
    return arg_better(later.x, earlier.x) ? later : earlier;
}

float pair_final(vec2 p) {
    return p.y;
}
