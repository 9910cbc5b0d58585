// acos: atan2(sqrt(1 - x^2), x) in [0, pi] (GLSL acos is ~4e3 ulp off on llvmpipe); nan outside
// [-1, 1] like numpy
vec4 k_acos(vec4 x) {
    vec4 s = sqrt(max((1.0 - x) * (1.0 + x), 0.0));
    return mix(k_atan2(s, x), vec4(nan_value()), greaterThan(abs(x), vec4(1.0)));
}
