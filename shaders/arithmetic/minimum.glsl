// minimum: elementwise min; nan if either is nan (like numpy.minimum)
vec4 k_minimum(vec4 a, vec4 b) {
    return mix(min(a, b), a + b, bvec4(vec4(isnan(a)) + vec4(isnan(b))));
}
