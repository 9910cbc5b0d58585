// fill: every element = value
vec4 k_fill(float value) { return vec4(value); }
