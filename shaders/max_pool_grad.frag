// max_pool_grad: dx[n, h, w, c] = sum of dy over the windows whose max (max_pool_argmax) is
// (h, w, c). Output has the input's shape; its adjoint is a gather of dx at the argmax.
uniform sampler2D u_argmax;
uniform int u_argmax_shift;
uniform sampler2D u_dy;
uniform int u_dy_shift;

VALUE pooled(int e) {
    ivec4 p = unravel(e, u_in.yz);
    ivec2 lo, hi;
    covering_windows(p.yz, lo, hi);
    VALUE self = VALUE((p.y * u_in.z + p.z) * u_in.w + p.w);
#if defined(ALIGNED)
    self += vec4(0.0, 1.0, 2.0, 3.0);
#endif
    VALUE total = VALUE(0.0);
    for (int oh = lo.x; oh < hi.x; ++oh) {
        for (int ow = lo.y; ow < hi.y; ++ow) {
            int at = ((p.x * u_out.x + oh) * u_out.y + ow) * u_in.w + p.w;
            VALUE where = READ(u_argmax, u_argmax_shift, at);
            VALUE dy = READ(u_dy, u_dy_shift, at);
#if defined(ALIGNED)
            total += mix(vec4(0.0), dy, equal(where, self));  // a select: 0 * inf would be nan
#else
            total += where == self ? dy : 0.0;
#endif
        }
    }
    return total;
}
