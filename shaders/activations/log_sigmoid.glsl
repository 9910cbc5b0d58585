// log_sigmoid: log(1 / (1 + e^-x)) = -softplus(-x) = min(x, 0) - log1p(e^-|x|), stable both ways
vec4 k_log_sigmoid(vec4 x) {
    vec4 y = min(x, 0.0) - k_log1p(expm1_exp(-abs(x)));
    return mix(y, x, isnan(x));
}
