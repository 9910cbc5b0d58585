// asin: atan2(x, sqrt(1 - x^2)), with (1 - x)(1 + x) exact enough near |x| = 1 (GLSL asin is
// ~4e4 ulp off on llvmpipe); nan outside [-1, 1] like numpy (GLSL leaves it undefined)
vec4 k_asin(vec4 x) {
    vec4 c = sqrt(max((1.0 - x) * (1.0 + x), 0.0));
    return mix(k_atan2(x, c), vec4(nan_value()), greaterThan(abs(x), vec4(1.0)));
}
