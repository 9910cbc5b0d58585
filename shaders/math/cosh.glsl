// cosh: (t + 1/t) / 2 with t = e^|x|; above 20, (h / 2) h with h = e^(|x|/2) so the result is
// finite wherever cosh itself is (e^|x| overflows first)
vec4 k_cosh(vec4 x) {
    vec4 a = abs(x);
    vec4 t = expm1_exp(a);
    vec4 h = expm1_exp(0.5 * a);
    return mix(0.5 * (t + 1.0 / t), (0.5 * h) * h, greaterThan(a, vec4(20.0)));
}
