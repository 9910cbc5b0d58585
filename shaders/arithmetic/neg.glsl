// neg: -x
vec4 k_neg(vec4 x) { return -x; }
