// cos: the reduction of sin.glsl, cos(x) = cos r, -sin r, -cos r, sin r by quadrant.
vec4 k_cos(vec4 x) {
    vec4 q;
    vec4 r = trig_reduce(x, q);
    vec4 c = mix(cos_reduced(r), sin_reduced(r), equal(mod(q, 2.0), vec4(1.0)));
    return trig_in_range(x, mix(c, -c, bvec4(vec4(equal(q, vec4(1.0))) +
                                             vec4(equal(q, vec4(2.0))))));
}
