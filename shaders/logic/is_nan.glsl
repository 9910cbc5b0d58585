// is_nan: 1.0 (true) where x is nan
vec4 k_is_nan(vec4 x) { return vec4(isnan(x)); }
