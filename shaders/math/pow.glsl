// pow: a ** b for any sign of a (GLSL pow is undefined for a < 0): |a| ** b, negated when
// a < 0 and b is an odd integer, nan when a < 0 and b is not an integer; a ** 0 = 1 ** b = 1.
vec4 k_pow(vec4 a, vec4 b) {
    vec4 mag = exp2(b * log2(abs(a)));
    vec4 a_neg = vec4(lessThan(a, vec4(0.0)));
    vec4 b_odd = vec4(equal(mod(b, 2.0), vec4(1.0)));
    vec4 b_frac = vec4(notEqual(b, floor(b)));
    vec4 r = mix(mag, -mag, bvec4(a_neg * b_odd));
    r = mix(r, vec4(nan_value()), bvec4(a_neg * b_frac));
    return mix(r, vec4(1.0), bvec4(vec4(equal(b, vec4(0.0))) + vec4(equal(a, vec4(1.0)))));
}
