// logical_or: bools are stored as exactly 0.0 / 1.0
vec4 k_logical_or(vec4 a, vec4 b) { return max(a, b); }
