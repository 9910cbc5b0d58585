// reciprocal: 1 / x (+-inf at +-0 like numpy, checked by the tests)
vec4 k_reciprocal(vec4 x) { return 1.0 / x; }
