// pow_int: int32 a ** b, exact while the result fits in 24 bits (k_pow's binary powering).
// b < 0: the float result truncated toward zero (1, -1 or 0), and 0 ** b = 0 as int32
// x // 0 = 0 (numpy's integer division by zero), since int32 has no inf.
vec4 k_pow_int(vec4 a, vec4 b) {
    vec4 zero_to_negative = vec4(equal(a, vec4(0.0))) * vec4(lessThan(b, vec4(0.0)));
    return mix(trunc(k_pow(a, b)), vec4(0.0), bvec4(zero_to_negative));
}
