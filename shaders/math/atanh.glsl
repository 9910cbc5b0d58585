// atanh: log1p(2a / (1 - a)) / 2 for a = |x| (written t + t a / (1 - a), t = 2a, below 0.5 so
// the leading term is exact); +-inf at +-1 and nan beyond, like numpy
vec4 k_atanh(vec4 x) {
    vec4 a = abs(x);
    vec4 t = a + a;
    vec4 small = 0.5 * k_log1p(t + t * a / (1.0 - a));
    vec4 large = 0.5 * k_log1p(t / (1.0 - a));
    vec4 y = mix(small, large, greaterThanEqual(a, vec4(0.5)));
    return mix(y, -y, lessThan(x, vec4(0.0)));
}
