// reduce_all: 1.0 if every element is nonzero (nan counts as nonzero, like numpy.all)
float reduce_init() { return 1.0; }
vec4 reduce_combine(vec4 acc, vec4 x) { return min(acc, vec4(notEqual(x, vec4(0.0)))); }
