// not_equal: 1.0 where a != b
vec4 k_not_equal(vec4 a, vec4 b) { return vec4(notEqual(a, b)); }
