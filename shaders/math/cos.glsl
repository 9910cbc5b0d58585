// cos: the reduction of sin.glsl, cos(x) = cos r, -sin r, -cos r, sin r by quadrant.
vec4 k_cos(vec4 x) {
    ivec4 q;
    vec4 r = trig_reduce(x, q);
    vec4 c = mix(cos_reduced(r), sin_reduced(r), equal(q & 1, ivec4(1)));
    // negative in quadrants 1 and 2, where bit 1 of q + 1 is set
    return trig_in_range(x, flip_sign(c, uvec4((q + 1) & 2) << 30u));
}
