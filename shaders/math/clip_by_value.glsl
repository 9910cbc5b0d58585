// clip_by_value: x limited to [lo, hi] (uniforms, so new bounds reuse the program); nan stays nan
vec4 k_clip_by_value(vec4 x, float lo, float hi) { return mix(clamp(x, lo, hi), x, isnan(x)); }
