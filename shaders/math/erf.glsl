// erf, |error| < 2e-7 relative (GLSL has none). Polynomials fitted for glflow:
//   |x| < 1:      x + x Q(x^2)                    (Q: erf(x)/x - 1, relative error 1.2e-9)
//   1 <= |x| < 4: 1 - e^(-x^2) R(|x| - 2.5)       (R: erfc(x) e^(x^2), absolute error 2.4e-9)
//   |x| >= 4:     +-1 (erfc(4) = 1.5e-8 is below half an ulp of 1)
vec4 k_erf(vec4 x) {
    vec4 a = abs(x);
    vec4 s = a * a;
    vec4 q = vec4(7.8541183e-05);
    q = q * s - 0.000801027752;
    q = q * s + 0.00518833846;
    q = q * s - 0.0268538184;
    q = q * s + 0.112835854;
    q = q * s - 0.37612626;
    q = q * s + 0.128379166;
    vec4 small = x + x * q;
    vec4 u = a - 2.5;
    vec4 r = vec4(0.000106841937);
    r = r * u + 0.000225056036;
    r = r * u + 0.000543307047;
    r = r * u - 0.00066112919;
    r = r * u + 0.00230250647;
    r = r * u - 0.00813224446;
    r = r * u + 0.0249146298;
    r = r * u - 0.0743421838;
    r = r * u + 0.210807607;
    vec4 mid = mix(1.0 - expm1_exp(-s) * r, vec4(1.0), greaterThanEqual(a, vec4(4.0)));
    mid = mix(mid, -mid, lessThan(x, vec4(0.0)));
    return mix(small, mid, greaterThanEqual(a, vec4(1.0)));
}
