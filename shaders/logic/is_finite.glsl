// is_finite: 1.0 (true) where x is neither nan nor +-inf
vec4 k_is_finite(vec4 x) { return 1.0 - vec4(isnan(x)) - vec4(isinf(x)); }
