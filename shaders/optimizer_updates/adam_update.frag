// adam_update: one pass computes a variable's new value and both moments, written through three
// render targets (the composed update took 12 elementwise passes per variable). All inputs have
// the variable's element count, hence its texture layout: every read is this fragment's texel.
// The arithmetic is the composed path's, step for step, so both give the same float32 results:
//   m' = m * beta_1 + g * (1 - beta_1)        v' = v * beta_2 + g^2 * (1 - beta_2)
//   w' = w * decay - (m' * lr_t) / (sqrt(v') + epsilon)
// (1 - beta) arrives precomputed, rounded once from double like the composed path's constant.
INPUT(u_var);
INPUT(u_m);
INPUT(u_v);
INPUT(u_grad);
uniform float u_beta_1;
uniform float u_one_minus_beta_1;
uniform float u_beta_2;
uniform float u_one_minus_beta_2;
uniform float u_lr_t;
uniform float u_epsilon;
uniform float u_decay;
layout(location = 0) out vec4 o_var;
layout(location = 1) out vec4 o_m;
layout(location = 2) out vec4 o_v;

void main() {
    vec4 g = SAME_TEXEL(u_grad);
    vec4 m = SAME_TEXEL(u_m) * u_beta_1 + g * u_one_minus_beta_1;
    vec4 v = SAME_TEXEL(u_v) * u_beta_2 + (g * g) * u_one_minus_beta_2;
    // sqrt of v < 0 or nan is nan, as the sqrt kernel defines it (GLSL leaves it undefined)
    bvec4 invalid = bvec4(vec4(lessThan(v, vec4(0.0))) + vec4(isnan(v)));
    vec4 root = mix(sqrt(max(v, 0.0)), vec4(nan_value()), invalid);
    o_var = SAME_TEXEL(u_var) * u_decay - (m * u_lr_t) / (root + u_epsilon);
    o_m = m;
    o_v = v;
}
