// max_pool_gather: y[n, oh, ow, c] = d[n, h, w, c] at each window's max (max_pool_argmax, a
// position in the window): the adjoint of max_pool_grad. d has the pooled input's shape.
INPUT(u_argmax);
uniform int u_argmax_shift;
INPUT(u_d);
uniform int u_d_shift;

// d at position `where` of the window of pooled pixel p, channel c
float at_max(ivec4 p, int c, float where) {
    int r = int(where);
    ivec2 hw = p.yz * u_stride - u_pad + ivec2(r / u_window.y, r % u_window.y);
    int e = ((p.x * u_in.y + hw.x) * u_in.z + hw.y) * u_in.w + c;
    return TEXEL_AT(u_d, texel_coord(e >> 2, u_d_shift))[e & 3];
}

VALUE pooled(int e) {
    ivec4 p = unravel(e, u_out);
#if defined(ALIGNED)
    vec4 where = READ(u_argmax, u_argmax_shift, e);
    return vec4(at_max(p, p.w, where.x), at_max(p, p.w + 1, where.y),
                at_max(p, p.w + 2, where.z), at_max(p, p.w + 3, where.w));
#else
    return at_max(p, p.w, READ(u_argmax, u_argmax_shift, e));
#endif
}
