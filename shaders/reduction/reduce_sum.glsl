// reduce_sum: sum over the reduced axis
float reduce_init() { return 0.0; }
vec4 reduce_combine(vec4 acc, vec4 x) { return acc + x; }
