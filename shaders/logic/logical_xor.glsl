// logical_xor: bools are stored as exactly 0.0 / 1.0
vec4 k_logical_xor(vec4 a, vec4 b) { return abs(a - b); }
