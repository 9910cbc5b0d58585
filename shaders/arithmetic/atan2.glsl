// atan2(a, b): the angle of the point (b, a), in [-pi, pi], with numpy's results for signed
// zeros and infinities. GLSL atan is ~350 ulp off on llvmpipe and undefined at (0, 0), so the
// angle is built from t = min(|a|, |b|) / max(|a|, |b|) in [0, 1] and
// atan t = t + t^3 P(t^2), P fitted for glflow on [0, 1] (~1.3 ulp in float32).
vec4 atan2_unit(vec4 t) {
    vec4 s = t * t;
    vec4 p = vec4(-0.00179360749);
    p = p * s + 0.0109145446;
    p = p * s - 0.0311777387;
    p = p * s + 0.0579574928;
    p = p * s - 0.0840344504;
    p = p * s + 0.109521843;
    p = p * s - 0.142642409;
    p = p * s + 0.199985489;
    p = p * s - 0.333332986;
    return t + t * s * p;
}

bvec4 atan2_signbit(vec4 v) { return lessThan(floatBitsToInt(v), ivec4(0)); }

vec4 k_atan2(vec4 a, vec4 b) {
    vec4 ay = abs(a);
    vec4 bx = abs(b);
    vec4 t = min(ay, bx) / max(ay, bx);
    t = mix(t, vec4(0.0), equal(max(ay, bx), vec4(0.0)));
    t = mix(t, vec4(1.0), bvec4(vec4(isinf(ay)) * vec4(isinf(bx))));
    vec4 r = atan2_unit(t);
    // pi/2 - r and pi - r with pi split in two floats, so the constants add no rounding.
    r = mix(r, (1.57079637 - r) - 4.37113901e-08, greaterThan(ay, bx));
    r = mix(r, (3.14159274 - r) - 8.74227801e-08, atan2_signbit(b));
    r = mix(r, -r, atan2_signbit(a));
    return mix(r, a + b, bvec4(vec4(isnan(a)) + vec4(isnan(b))));
}
