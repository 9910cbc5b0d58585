// mul: a * b
vec4 k_mul(vec4 a, vec4 b) { return a * b; }
