// sign: -1, 0 or 1 (nan stays nan)
vec4 k_sign(vec4 x) { return mix(sign(x), x, isnan(x)); }
