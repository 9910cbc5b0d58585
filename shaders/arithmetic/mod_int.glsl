// mod_int: numpy.remainder for int32 (exact: values are within 2^24); x % 0 = 0 as numpy
vec4 k_mod_int(vec4 a, vec4 b) { return mix(k_mod(a, b), vec4(0.0), equal(b, vec4(0.0))); }
