// floor_div: numpy.floor_divide for floats, step for step: div = (a - fmod(a, b)) / b, one less
// when the remainder's sign differs from b's, then floor with a round-half-up correction;
// a zero quotient takes the sign of a / b, and b = 0 gives a / b (+-inf or nan).
vec4 floor_div_signed_zero(vec4 v) { return uintBitsToFloat(floatBitsToUint(v) & 0x80000000u); }

vec4 k_floor_div(vec4 a, vec4 b) {
    vec4 m = k_fmod(a, b);
    vec4 div = (a - m) / b;
    vec4 differ = vec4(notEqual(lessThan(b, vec4(0.0)), lessThan(m, vec4(0.0))));
    div = mix(div, div - 1.0, bvec4(vec4(notEqual(m, vec4(0.0))) * differ));
    vec4 q = floor(div);
    q = mix(q, q + 1.0, greaterThan(div - q, vec4(0.5)));
    q = mix(q, floor_div_signed_zero(a / b), equal(div, vec4(0.0)));
    return mix(q, a / b, equal(b, vec4(0.0)));
}
