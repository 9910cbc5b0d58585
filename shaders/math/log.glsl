// log: natural log; -inf at 0, nan below 0 and for nan, like numpy (GLSL leaves x <= 0 undefined)
vec4 k_log(vec4 x) {
    vec4 r = mix(log(max(x, 1e-37)), vec4(-pos_inf()), equal(x, vec4(0.0)));
    bvec4 invalid = bvec4(vec4(lessThan(x, vec4(0.0))) + vec4(isnan(x)));
    return mix(r, vec4(nan_value()), invalid);
}
