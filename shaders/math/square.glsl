// square: x * x
vec4 k_square(vec4 x) { return x * x; }
