// elu: x for x > 0, else alpha (e^x - 1) with the accurate expm1 (saturates to -alpha)
vec4 k_elu(vec4 x, float alpha) { return mix(alpha * k_expm1(x), x, greaterThan(x, vec4(0.0))); }
