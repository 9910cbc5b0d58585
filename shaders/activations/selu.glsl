// selu: scale * elu(x, alpha) with the fixed constants of Klambauer et al. (2017)
vec4 k_selu(vec4 x) { return 1.05070102 * k_elu(x, 1.67326319); }
