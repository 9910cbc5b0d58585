// pow: a ** b with numpy's float32 results, signs and special values (C99 pow).
// Integral exponents |b| < 256 use binary powering: products of integers stay exact while
// they fit in 24 bits (5 ** 2 is 25, where exp2(2 log2 5) = 24.999998 truncated to 24 in int32),
// and a float base gets one rounding per product (the relative error grows like log2|b| ulp
// in practice, at most |b| ulp), better than exp2/log2 for the usual small powers. A
// negative integral exponent takes the reciprocal of the power (one more rounding), unless
// the power left float32's normal range, where exp2 below has the range. b = +-0.5 use sqrt.
// Other exponents: exp2(b * log2|a|), relative error about |b log2 a| ulp (the product's
// rounding; float32 can do no better without splitting it). GLSL leaves log2 undefined at 0
// and 1 / 0 undefined, so zero and infinite bases are set by rule, not computed.
const float POW_SQUARING_LIMIT = 256.0;  // 8 bits: |a| >= 2 overflows float32 before 2^8
const float SMALLEST_NORMAL = 1.17549435e-38;

// base ** n for integral 0 <= n < 2^8; mix() selects, so an overflowed square never leaks in.
vec4 pow_by_squaring(vec4 base, vec4 n) {
    vec4 result = vec4(1.0);
    for (int i = 0; i < 8; ++i) {
        result = mix(result, result * base, greaterThan(mod(n, 2.0), vec4(0.5)));
        n = floor(n * 0.5);
        base *= base;
    }
    return result;
}

vec4 k_pow(vec4 a, vec4 b) {
    vec4 x = abs(a);
    vec4 n = abs(b);
    vec4 integral = vec4(equal(b, floor(b)));        // +-inf count as integral, nan does not
    vec4 odd = integral * vec4(equal(mod(n, 2.0), vec4(1.0)));
    vec4 negative_b = vec4(lessThan(b, vec4(0.0)));
    vec4 squares_ok = integral * vec4(lessThan(n, vec4(POW_SQUARING_LIMIT)));
    vec4 p = pow_by_squaring(x, squares_ok * n);
    vec4 squares = mix(p, 1.0 / max(p, vec4(SMALLEST_NORMAL)), bvec4(negative_b));
    squares_ok *= 1.0 - negative_b * vec4(lessThan(p, vec4(SMALLEST_NORMAL)));
    vec4 mag = mix(exp2(b * log2(x)), squares, bvec4(squares_ok));
    mag = mix(mag, sqrt(x), equal(b, vec4(0.5)));
    mag = mix(mag, 1.0 / sqrt(max(x, vec4(SMALLEST_NORMAL))), equal(b, vec4(-0.5)));
    // zero base: 0 ** b is 0 for b > 0, inf for b < 0; infinite base: the reverse
    vec4 inf = vec4(pos_inf());
    mag = mix(mag, mix(vec4(0.0), inf, bvec4(negative_b)), equal(x, vec4(0.0)));
    mag = mix(mag, mix(inf, vec4(0.0), bvec4(negative_b)), isinf(x));
    mag = mix(mag, vec4(1.0), equal(x, vec4(1.0)));  // (-1) ** +-inf = 1, the sign follows
    // the sign bit, so (-0.0) ** 3 = -0.0 and (-0.0) ** -1 = -inf as in numpy
    vec4 negative_a = vec4(greaterThanEqual(floatBitsToUint(a), uvec4(0x80000000u)));
    vec4 r = mix(mag, -mag, bvec4(negative_a * odd));
    // a finite negative base to a non-integral power has no real value; nan in, nan out
    // (said explicitly: GLSL's min/max and llvmpipe's log2 do not all propagate nan)
    vec4 no_value = vec4(lessThan(a, vec4(0.0))) * (1.0 - integral) * vec4(not(isinf(a)));
    r = mix(r, vec4(nan_value()), bvec4(no_value + vec4(isnan(a)) + vec4(isnan(b))));
    return mix(r, vec4(1.0), bvec4(vec4(equal(b, vec4(0.0))) + vec4(equal(a, vec4(1.0)))));
}
