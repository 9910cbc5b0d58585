// leaky_relu: x for x > 0, else alpha x (alpha a uniform); nan stays nan
vec4 k_leaky_relu(vec4 x, float alpha) { return mix(alpha * x, x, greaterThan(x, vec4(0.0))); }
