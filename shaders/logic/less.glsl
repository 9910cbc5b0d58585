// less: 1.0 where a < b
vec4 k_less(vec4 a, vec4 b) { return vec4(lessThan(a, b)); }
