// sqrt: nan for x < 0 and for nan (GLSL leaves x < 0 undefined)
vec4 k_sqrt(vec4 x) {
    bvec4 invalid = bvec4(vec4(lessThan(x, vec4(0.0))) + vec4(isnan(x)));
    return mix(sqrt(max(x, 0.0)), vec4(nan_value()), invalid);
}
