// gelu (exact form): x Phi(x) = x (1 + erf(x / sqrt2)) / 2
vec4 k_gelu(vec4 x) { return 0.5 * x * (1.0 + k_erf(x * 0.707106769)); }
