// logsumexp: log(sum(exp(x))) without overflow, as pairs (m, s) = (max, sum of exp(x - m)).
// An element equal to m counts exp(0) = 1 even when m is infinite, so s stays a finite count
// for +-inf; a nan makes m or s nan, and nan propagates. Softmax normalises with the pairs.
float lse_max(float a, float b) {
    return isnan(a) || isnan(b) ? a + b : max(a, b);
}

float lse_weight(float x, float m) {
    return x == m ? 1.0 : exp(x - m);
}

vec2 pair_scan(int base, int stride, int r0, int r1) {
    float m = x_at(base + r0 * stride);
    for (int r = r0 + 1; r < r1; ++r) {
        m = lse_max(m, x_at(base + r * stride));
    }
    float s = 0.0;
    for (int r = r0; r < r1; ++r) {
        s += lse_weight(x_at(base + r * stride), m);
    }
    return vec2(m, s);
}

vec2 pair_scan4(int q0, int q1, int r0) {
    vec4 m4 = texel_at(q0);
    for (int q = q0 + 1; q < q1; ++q) {
        vec4 v = texel_at(q);
        m4 = mix(max(m4, v), m4 + v, bvec4(vec4(isnan(m4)) + vec4(isnan(v))));
    }
    float m = lse_max(lse_max(m4.x, m4.y), lse_max(m4.z, m4.w));
    vec4 s4 = vec4(0.0);
    for (int q = q0; q < q1; ++q) {
        vec4 v = texel_at(q);
        s4 += mix(exp(v - m), vec4(1.0), equal(v, vec4(m)));
    }
    return vec2(m, (s4.x + s4.y) + (s4.z + s4.w));
}

vec2 pair_combine(vec2 earlier, vec2 later) {
    float m = lse_max(earlier.x, later.x);
    return vec2(m, earlier.y * lse_weight(earlier.x, m) + later.y * lse_weight(later.x, m));
}

float pair_final(vec2 p) {
    return p.x + log(p.y);
}
