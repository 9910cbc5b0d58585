// softplus: log(1 + e^x) = max(x, 0) + log1p(e^-|x|): e^-|x| <= 1 never overflows, and log1p
// keeps the tail e^x for x << 0 (softplus(1000) = 1000, softplus(-100) = e^-100)
vec4 k_softplus(vec4 x) {
    vec4 y = max(x, 0.0) + k_log1p(expm1_exp(-abs(x)));
    return mix(y, x, isnan(x));
}
