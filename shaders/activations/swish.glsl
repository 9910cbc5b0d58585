// swish (= silu): x sigmoid(x) = x / (1 + e^-x); e^-x = inf gives -0 for x << 0, not nan
vec4 k_swish(vec4 x) { return x / (1.0 + expm1_exp(-x)); }
