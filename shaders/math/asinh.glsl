// asinh: log1p(a + a^2 / (1 + sqrt(1 + a^2))), a = |x|, keeps the low bits near 0 (GLSL asinh
// = log(x + sqrt(x^2 + 1)) cancels for x < 0); above 2^12, log(a) + ln2 (a^2 would overflow)
vec4 k_asinh(vec4 x) {
    vec4 a = abs(x);
    vec4 a2 = a * a;
    vec4 y = k_log1p(a + a2 / (1.0 + sqrt(1.0 + a2)));
    y = mix(y, log1p_log(a) + 0.693147182, greaterThan(a, vec4(4096.0)));
    y = mix(y, a, isinf(a));
    return mix(y, -y, lessThan(x, vec4(0.0)));
}
