// log_softmax: (x - max) - log(sum(exp(x - max))) along the axis: finite for finite x (never
// -inf from an underflowed exp); an infinite or nan max gives nan, as numpy's formula does
vec4 softmax_apply(vec4 x, vec4 m, vec4 s) {
    return mix((x - m) - log(s), vec4(nan_value()), bvec4(vec4(isinf(m)) + vec4(isnan(m))));
}
