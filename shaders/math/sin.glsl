// sin
vec4 k_sin(vec4 x) { return sin(x); }
