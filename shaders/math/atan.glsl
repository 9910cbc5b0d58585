// atan: arc tangent in [-pi/2, pi/2], through atan2 (GLSL atan is ~350 ulp off on llvmpipe)
vec4 k_atan(vec4 x) { return k_atan2(x, vec4(1.0)); }
