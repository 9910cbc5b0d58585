// logical_and: bools are stored as exactly 0.0 / 1.0
vec4 k_logical_and(vec4 a, vec4 b) { return a * b; }
