// rsqrt: 1 / sqrt(x); inf at 0, 0 at inf, nan below 0 (GLSL sqrt leaves x < 0 undefined).
// inversesqrt is not used: GL allows it a loose error bound.
vec4 k_rsqrt(vec4 x) {
    bvec4 invalid = bvec4(vec4(lessThan(x, vec4(0.0))) + vec4(isnan(x)));
    // x < 0 is replaced by 0 before sqrt (not max(x, 0), which may turn -0 into 0: -inf at -0)
    return mix(1.0 / sqrt(mix(x, vec4(0.0), invalid)), vec4(nan_value()), invalid);
}
