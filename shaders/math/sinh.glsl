// sinh: (E + E / (E + 1)) / 2 with E = expm1(|x|) has no cancellation near 0; above 20,
// (h / 2) h with h = e^(|x|/2) stays finite up to sinh's own overflow (e^|x| overflows first).
vec4 k_sinh(vec4 x) {
    vec4 a = abs(x);
    vec4 e = k_expm1(a);
    vec4 h = expm1_exp(0.5 * a);
    vec4 y = mix(0.5 * (e + e / (e + 1.0)), (0.5 * h) * h, greaterThan(a, vec4(20.0)));
    return mix(y, -y, lessThan(x, vec4(0.0)));
}
