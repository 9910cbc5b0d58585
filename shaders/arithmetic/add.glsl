// add: a + b
vec4 k_add(vec4 a, vec4 b) { return a + b; }
