// expm1: e^x - 1, accurate near 0 where exp(x) - 1 cancels. The file also defines expm1_exp,
// an e^x good to ~1 ulp that kernels requiring expm1 use: GLSL exp on llvmpipe computes
// exp2(x * log2 e), whose rounded product costs up to ~60 ulp near |x| = 80.
// x = k ln2 + r with |r| <= ln2/2; ln2 is split (Cody-Waite) so that k * EXPM1_LN2_HI is exact,
// and e^r - 1 = r + r^2 P(r), P fitted for glflow (relative error 2.4e-10 on the interval).
const float EXPM1_LN2_HI = 0.693145751953125;
const float EXPM1_LN2_LO = 1.42860677e-06;

// 2^k for integer-valued k in [-126, 127], built from the exponent bits (exact).
vec4 expm1_pow2(vec4 k) { return intBitsToFloat((ivec4(k) + 127) << 23); }

// v * 2^k for k in [-150, 129]: two exact power-of-two factors (2^128 alone overflows).
vec4 expm1_scale(vec4 v, vec4 k) {
    vec4 k1 = floor(0.5 * k);
    return v * expm1_pow2(k1) * expm1_pow2(k - k1);
}

// e^r - 1 for |r| <= ln2/2.
vec4 expm1_reduced(vec4 r) {
    vec4 p = vec4(0.000198458889);
    p = p * r + 0.00139406184;
    p = p * r + 0.00833338965;
    p = p * r + 0.0416663624;
    p = p * r + 0.166666657;
    p = p * r + 0.5;
    return r + r * r * p;
}

// k and r of x; x is clamped to where e^x is neither inf nor 0 (nan is patched by callers).
void expm1_reduce(vec4 x, out vec4 k, out vec4 r) {
    vec4 xc = clamp(x, -104.0, 89.0);
    k = roundEven(xc * 1.44269504);
    r = (xc - k * EXPM1_LN2_HI) - k * EXPM1_LN2_LO;
}

// e^x: inf above ~88.72, 0 below ~-103.97 (the clamp would otherwise keep it finite), nan for nan.
vec4 expm1_exp(vec4 x) {
    vec4 k, r;
    expm1_reduce(x, k, r);
    vec4 y = expm1_scale(1.0 + expm1_reduced(r), k);
    y = mix(y, vec4(0.0), lessThan(x, vec4(-104.0)));
    return mix(y, x, isnan(x));
}

vec4 k_expm1(vec4 x) {
    vec4 k, r;
    expm1_reduce(x, k, r);
    vec4 p = expm1_reduced(r);
    // 2^k p + (2^k - 1): both terms exact for k <= 20, one rounding in the sum; beyond,
    // e^x - 1 rounds once after an accurate e^x.
    vec4 moderate = expm1_scale(p, k) + (expm1_scale(vec4(1.0), k) - 1.0);
    vec4 large = expm1_scale(1.0 + p, k) - 1.0;
    return mix(mix(moderate, large, greaterThan(k, vec4(20.0))), x, isnan(x));
}
