// tanh. Below |x| = 0.625, where 1 - e^-2|x| cancels (tanh(1e-30) came out 3e-8), the odd
// minimax polynomial of the Cephes library's tanhf (its published coefficients); above,
// (1 - e) / (1 + e) with e = e^-2|x|, which saturates to 1 instead of inf / inf = nan. x's sign
// bit is put on the result as a bit: -0 gives -0, as numpy.
vec4 k_tanh(vec4 x) {
    vec4 ax = abs(x);
    vec4 e = exp(-2.0 * ax);
    vec4 large = (1.0 - e) / (1.0 + e);
    vec4 z = x * x;
    vec4 p = -5.70498872745e-3 * z + 2.06390887954e-2;
    p = p * z - 5.37397155531e-2;
    p = p * z + 1.33314422036e-1;
    p = p * z - 3.33332819422e-1;
    vec4 small = p * z * ax + ax;
    vec4 t = mix(large, small, lessThan(ax, vec4(0.625)));
    return uintBitsToFloat(floatBitsToUint(t) ^ (floatBitsToUint(x) & uvec4(0x80000000u)));
}
