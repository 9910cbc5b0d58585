// exp: e ** x
vec4 k_exp(vec4 x) { return exp(x); }
