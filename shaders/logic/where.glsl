// where: a where the condition is true (nonzero), else b; a bvec4 mix never mixes in a nan
vec4 k_where(vec4 condition, vec4 a, vec4 b) { return mix(b, a, notEqual(condition, vec4(0.0))); }
