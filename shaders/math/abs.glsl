// abs: |x|
vec4 k_abs(vec4 x) { return abs(x); }
