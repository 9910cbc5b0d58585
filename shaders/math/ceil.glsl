// ceil: exact (GLSL built-in); int32 values pass through unchanged
vec4 k_ceil(vec4 x) { return ceil(x); }
