// softmax: exp(x - max) / sum(exp(x - max)) along the axis; an infinite or nan max gives nan,
// as numpy's formula does
vec4 softmax_apply(vec4 x, vec4 m, vec4 s) {
    return mix(exp(x - m) / s, vec4(nan_value()), bvec4(vec4(isinf(m)) + vec4(isnan(m))));
}
