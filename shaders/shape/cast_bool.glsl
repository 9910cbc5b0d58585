// cast_bool: nonzero (nan included) -> 1.0
vec4 k_cast_bool(vec4 x) { return vec4(notEqual(x, vec4(0.0))); }
