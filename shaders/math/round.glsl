// round: to the nearest integer, halves to even like numpy.round and tfjs (exact)
vec4 k_round(vec4 x) { return roundEven(x); }
