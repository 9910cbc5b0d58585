// sqrt: nan for x < 0 (GLSL leaves it undefined)
vec4 k_sqrt(vec4 x) { return mix(sqrt(max(x, 0.0)), vec4(nan_value()), lessThan(x, vec4(0.0))); }
