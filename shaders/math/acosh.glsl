// acosh for x >= 1 (nan below, like numpy): near 1, log1p(t + sqrt(2t + t^2)) with t = x - 1
// exact; up to 2^12, log(2x - 1 / (x + sqrt(x^2 - 1))); beyond, log(x) + ln2 (x^2 overflows)
vec4 k_acosh(vec4 x) {
    vec4 t = x - 1.0;
    vec4 y = k_log1p(t + sqrt(max(2.0 * t + t * t, 0.0)));
    vec4 mid = log1p_log(2.0 * x - 1.0 / (x + sqrt(max(x * x - 1.0, 0.0))));
    y = mix(y, mid, greaterThan(x, vec4(2.0)));
    y = mix(y, log1p_log(x) + 0.693147182, greaterThan(x, vec4(4096.0)));
    y = mix(y, x, isinf(x));
    bvec4 invalid = bvec4(vec4(lessThan(x, vec4(1.0))) + vec4(isnan(x)));
    return mix(y, vec4(nan_value()), invalid);
}
