// fmod: C fmod / numpy.fmod, the remainder of a / b truncated, with the sign of a. It is exact
// (the true remainder is always a float); floor_div and mod build on it, as numpy does.
// |a| = ma 2^ea, |b| = mb 2^eb with 24-bit integer mantissas; ma 2^(ea - eb) mod mb is reduced
// in int arithmetic, 7 exponent steps at a time (r < 2^24, so r << 7 < 2^31).
vec4 fmod_pow2(ivec4 e) { return intBitsToFloat((e + 127) << 23); }

vec4 k_fmod(vec4 a, vec4 b) {
    ivec4 ba = floatBitsToInt(abs(a));
    ivec4 bb = floatBitsToInt(abs(b));
    ivec4 ea = max(ba >> 23, 1);   // exponent field 0 (subnormal) has the scale of field 1
    ivec4 eb = max(bb >> 23, 1);
    ivec4 ma = (ba & 0x007FFFFF) | (ivec4(greaterThan(ba, ivec4(0x007FFFFF))) << 23);
    ivec4 mb = max((bb & 0x007FFFFF) | (ivec4(greaterThan(bb, ivec4(0x007FFFFF))) << 23), 1);
    ivec4 d = max(ea - eb, 0);
    ivec4 r = ma % mb;
    for (int i = 0; i < 40; ++i) {   // exponent gaps reach 253: 37 steps of 7
        if (all(equal(d, ivec4(0)))) break;
        ivec4 shift = min(d, 7);
        r = (r << shift) % mb;
        d -= shift;
    }
    // r 2^(eb - 150): r < 2^24 is exact as a float, and two power-of-two factors cover eb.
    ivec4 e = eb - 150;
    ivec4 e1 = e >> 1;
    vec4 y = vec4(r) * fmod_pow2(e1) * fmod_pow2(e - e1);
    y = mix(y, abs(a), lessThan(abs(a), abs(b)));
    y = mix(y, -y, lessThan(floatBitsToInt(a), ivec4(0)));
    bvec4 invalid = bvec4(vec4(equal(b, vec4(0.0))) + vec4(isinf(a)) + vec4(isnan(a)) +
                          vec4(isnan(b)));
    return mix(y, vec4(nan_value()), invalid);
}
