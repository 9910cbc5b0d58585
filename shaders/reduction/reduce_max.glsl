// reduce_max: largest element; nan as soon as one element is nan (like numpy.max)
float reduce_init() { return -pos_inf(); }
vec4 reduce_combine(vec4 acc, vec4 x) {
    return mix(max(acc, x), acc + x, bvec4(vec4(isnan(acc)) + vec4(isnan(x))));
}
