// sub: a - b
vec4 k_sub(vec4 a, vec4 b) { return a - b; }
