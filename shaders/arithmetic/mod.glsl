// mod: numpy.remainder for floats, the sign of the divisor: fmod(a, b), plus b when the
// remainder's sign differs from b's; a zero remainder takes b's sign; b = 0 gives nan.
vec4 k_mod(vec4 a, vec4 b) {
    vec4 m = k_fmod(a, b);
    vec4 differ = vec4(notEqual(lessThan(b, vec4(0.0)), lessThan(m, vec4(0.0))));
    bvec4 zero = equal(m, vec4(0.0));
    m = mix(m, m + b, bvec4((1.0 - vec4(zero)) * differ));
    return mix(m, uintBitsToFloat(floatBitsToUint(b) & 0x80000000u), zero);
}
