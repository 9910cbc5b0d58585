// tan: the reduction of sin.glsl, tan(x) = tan r (even quadrants) or -1 / tan r (odd), as
// sin r / cos r or -cos r / sin r; NaN from |x| = 2^26 on and at +-inf, as numpy at +-inf.
vec4 k_tan(vec4 x) {
    ivec4 q;
    vec4 r = trig_reduce(x, q);
    vec4 s = sin_reduced(r);
    vec4 c = cos_reduced(r);
    vec4 t = mix(s / c, -c / s, equal(q & 1, ivec4(1)));
    return trig_in_range(x, with_sign_of(x, t));
}
