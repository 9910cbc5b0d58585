// hard_sigmoid (Keras): clip(0.2 x + 0.5, 0, 1); nan stays nan
vec4 k_hard_sigmoid(vec4 x) { return mix(clamp(0.2 * x + 0.5, 0.0, 1.0), x, isnan(x)); }
