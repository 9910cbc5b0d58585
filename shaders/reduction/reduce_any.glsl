// reduce_any: 1.0 if some element is nonzero (nan counts as nonzero, like numpy.any)
float reduce_init() { return 0.0; }
vec4 reduce_combine(vec4 acc, vec4 x) { return max(acc, vec4(notEqual(x, vec4(0.0)))); }
