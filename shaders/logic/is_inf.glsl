// is_inf: 1.0 (true) where x is +-inf
vec4 k_is_inf(vec4 x) { return vec4(isinf(x)); }
