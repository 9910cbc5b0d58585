// prelu: x for x > 0, else alpha x, with alpha a (broadcast) tensor
vec4 k_prelu(vec4 x, vec4 alpha) { return mix(alpha * x, x, greaterThan(x, vec4(0.0))); }
