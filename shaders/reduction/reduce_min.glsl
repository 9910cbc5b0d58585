// reduce_min: smallest element; nan as soon as one element is nan (like numpy.min)
float reduce_init() { return pos_inf(); }
vec4 reduce_combine(vec4 acc, vec4 x) {
    return mix(min(acc, x), acc + x, bvec4(vec4(isnan(acc)) + vec4(isnan(x))));
}
