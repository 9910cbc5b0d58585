// maximum: elementwise max; nan if either is nan (like numpy.maximum)
vec4 k_maximum(vec4 a, vec4 b) {
    return mix(max(a, b), a + b, bvec4(vec4(isnan(a)) + vec4(isnan(b))));
}
