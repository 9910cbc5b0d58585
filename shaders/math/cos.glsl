// cos
vec4 k_cos(vec4 x) { return cos(x); }
