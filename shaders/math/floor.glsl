// floor: exact (GLSL built-in); int32 values pass through unchanged
vec4 k_floor(vec4 x) { return floor(x); }
