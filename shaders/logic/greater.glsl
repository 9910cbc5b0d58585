// greater: 1.0 where a > b
vec4 k_greater(vec4 a, vec4 b) { return vec4(greaterThan(a, b)); }
