// tan: GLSL tan (within ~3 ulp on llvmpipe for |x| < 1e3; its argument reduction loses
// accuracy beyond, as on most GPUs); nan at +-inf like numpy
vec4 k_tan(vec4 x) { return mix(tan(x), vec4(nan_value()), isinf(x)); }
