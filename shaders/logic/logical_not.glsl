// logical_not: bools are stored as exactly 0.0 / 1.0
vec4 k_logical_not(vec4 x) { return 1.0 - x; }
