// sin, with the argument reduction that cos and tan share: numpy's float32 results for
// |x| < 2^26, NaN from 2^26 on (and at +-inf, as numpy).
// GPU sin() reduces large arguments coarsely (llvmpipe was 7e-4 off at 1e8 and 0.5 at 1e10),
// so x = k pi/2 + r is reduced here, Cody-Waite style with exact products: pi/2 is six parts
// of 10 significant bits, and k a high part (a multiple of 4096: at most 14 bits) plus the
// rest, so each product k_part * pi_part is exact in float32 and so are the large
// subtractions. A second k, taken once the large parts are off, brings |r| to <= pi/4 before
// the small parts, summed apart, go. r is within 3e-8 of exact for every |x| < 2^26 (checked
// against a 64-bit reduction over 10^6 arguments), so sin and cos match numpy to ~1 ulp.
// From 2^26 on, float32 numbers are 8 apart, more than a period: their sine says nothing about
// the angle meant, so sin, cos and tan give NaN there instead of a confident number.
const float TRIG_LIMIT = 67108864.0;  // 2^26
const float TWO_OVER_PI = 0.63661977;

// |x| = k pi/2 + r; returns r and sets quadrant = k mod 4 (k itself may pass 2^24).
vec4 trig_reduce(vec4 x, out ivec4 quadrant) {
    float p1 = uintBitsToFloat(0x3fc90000u);  // 1.5703125
    float p2 = uintBitsToFloat(0x39fdc000u);
    float p3 = uintBitsToFloat(0xb42f0000u);
    float p4 = uintBitsToFloat(0x2e85c000u);
    float p5 = uintBitsToFloat(0xa967c000u);
    float p6 = uintBitsToFloat(0x22d40000u);
    vec4 ax = abs(x);
    vec4 k0 = floor(ax * TWO_OVER_PI + 0.5);
    vec4 kh = floor(k0 * (1.0 / 4096.0)) * 4096.0;
    vec4 kl = k0 - kh;
    // Every product below is exact (the parts' bits and k's are chosen so): EXACT_FMA
    // (common.glsl) gives the bits of the separate multiply and add in one instruction.
    vec4 t = EXACT_FMA(-kh, vec4(p1), ax);
    t = EXACT_FMA(-kl, vec4(p1), t);
    t = EXACT_FMA(-kh, vec4(p2), t);
    t = EXACT_FMA(-kl, vec4(p2), t);
    t = EXACT_FMA(-kh, vec4(p3), t);
    vec4 k1 = floor(t * TWO_OVER_PI + 0.5);  // k0 can be a few off where ax * 2/pi rounds
    t = EXACT_FMA(-k1, vec4(p1), t);
    t = EXACT_FMA(-k1, vec4(p2), t);
    vec4 ks = kl + k1;
    vec4 c = EXACT_FMA(kh, vec4(p4), ks * p3);
    c = EXACT_FMA(ks, vec4(p4), c);
    c = EXACT_FMA(kh, vec4(p5), c);
    c = EXACT_FMA(ks, vec4(p5), c);
    c = EXACT_FMA(kh, vec4(p6), c);
    c = EXACT_FMA(ks, vec4(p6), c);
    // k0 + k1 is a whole number below 2^31 wherever the result is not NaN (|x| < 2^26): its
    // two low bits are the quadrant, also when k1 is -1
    quadrant = (ivec4(k0) + ivec4(k1)) & 3;
    return t - c;
}

// sin and cos of |r| <= pi/4 (what trig_reduce leaves) by the minimax polynomials of the
// Cephes library's single-precision sinf and cosf (their published coefficients): within an
// ulp there, and cheaper on llvmpipe than the built-ins, which reduce their argument again.
vec4 sin_reduced(vec4 r) {
    vec4 z = r * r;
    return r + r * z * ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1);
}

vec4 cos_reduced(vec4 r) {
    vec4 z = r * r;
    return 1.0 - 0.5 * z + z * z * ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z
                                    + 4.166664568298827e-2);
}

// v where x is finite and |x| < 2^26, else NaN (also for nan: not all GPUs propagate it).
vec4 trig_in_range(vec4 x, vec4 v) {
    return mix(vec4(nan_value()), v, lessThan(abs(x), vec4(TRIG_LIMIT)));
}

// -v where x has its sign bit set (-0.0 included), for the odd functions.
vec4 with_sign_of(vec4 x, vec4 v) {
    return mix(v, -v, greaterThanEqual(floatBitsToUint(x), uvec4(0x80000000u)));
}

// v with its sign bit flipped where `flip` has it set: -v (the negation flips that bit alone).
vec4 flip_sign(vec4 v, uvec4 flip) {
    return uintBitsToFloat(floatBitsToUint(v) ^ flip);
}

// sin x = (sin r, cos r, -sin r, -cos r by quadrant), negated where x is negative: the two
// negations as one flip of the sign bit.
vec4 k_sin(vec4 x) {
    ivec4 q;
    vec4 r = trig_reduce(x, q);
    vec4 s = mix(sin_reduced(r), cos_reduced(r), equal(q & 1, ivec4(1)));
    uvec4 flip = (uvec4(q & 2) << 30u) ^ (floatBitsToUint(x) & uvec4(0x80000000u));
    return trig_in_range(x, flip_sign(s, flip));
}
