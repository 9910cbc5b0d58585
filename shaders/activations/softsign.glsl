// softsign: x / (1 + |x|) (nan at +-inf, as the formula gives in numpy and TensorFlow)
vec4 k_softsign(vec4 x) { return x / (1.0 + abs(x)); }
