// gelu_tanh (gelu's tanh approximation): x (1 + tanh(u)) / 2, u = sqrt(2/pi) (x + 0.044715 x^3),
// evaluated as the identical x / (1 + e^(-2u)), which does not cancel where tanh(u) ~ -1
vec4 k_gelu_tanh(vec4 x) {
    vec4 u = 0.797884583 * (x + 0.044715 * x * x * x);
    return x / (1.0 + expm1_exp(-2.0 * u));
}
