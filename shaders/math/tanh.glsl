// tanh, written so large |x| saturates to +-1 instead of inf/inf = nan
vec4 k_tanh(vec4 x) {
    vec4 e = exp(-2.0 * abs(x));
    return sign(x) * (1.0 - e) / (1.0 + e);
}
