// log1p: log(1 + x), accurate near 0 where log(1 + x) loses the low bits of x. The file also
// defines log1p_log(u), log u to ~1 ulp for normal finite u > 0: GLSL log on llvmpipe is off by
// ~1e-7 absolute, thousands of ulp near u = 1.
// log(1 + f) = f - (h - s (h + R)), h = f^2 / 2, s = f / (2 + f), R = s^2 P(s^2) with P fitted
// for glflow on |s| <= 0.1716, i.e. 1 + f in [1/sqrt2, sqrt2] (~0.8 ulp in float32).
vec4 log1p_core(vec4 f) {
    vec4 s = f / (2.0 + f);
    vec4 z = s * s;
    vec4 p = vec4(0.235814631);
    p = p * z + 0.285373479;
    p = p * z + 0.400003344;
    p = p * z + 0.666666627;
    vec4 h = 0.5 * f * f;
    return f - (h - s * (h + z * p));
}

// log u = e ln2 + log(m) with u = 2^e m, m in [1/sqrt2, sqrt2): m - 1 is exact.
vec4 log1p_log(vec4 u) {
    ivec4 bits = floatBitsToInt(u);
    vec4 e = vec4((bits >> 23) - 127);
    vec4 m = intBitsToFloat((bits & 0x007FFFFF) | 0x3F800000);
    bvec4 high = greaterThan(m, vec4(1.41421356));
    m = mix(m, 0.5 * m, high);
    e = mix(e, e + 1.0, high);
    return e * 0.693145751953125 + (log1p_core(m - 1.0) + e * 1.42860677e-06);
}

vec4 k_log1p(vec4 x) {
    // Near 0 the series runs on x itself; elsewhere on 1 + x (its rounding costs < 2 ulp).
    bvec4 near = bvec4(vec4(greaterThanEqual(x, vec4(-0.29289322))) *
                       vec4(lessThanEqual(x, vec4(0.41421356))));
    vec4 y = mix(log1p_log(1.0 + x), log1p_core(x), near);
    y = mix(y, vec4(-pos_inf()), equal(x, vec4(-1.0)));
    y = mix(y, x, isinf(x));
    bvec4 invalid = bvec4(vec4(lessThan(x, vec4(-1.0))) + vec4(isnan(x)));
    return mix(y, vec4(nan_value()), invalid);
}
