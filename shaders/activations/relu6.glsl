// relu6: min(max(x, 0), 6); nan stays nan
vec4 k_relu6(vec4 x) { return mix(clamp(x, 0.0, 6.0), x, isnan(x)); }
