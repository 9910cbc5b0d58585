// max_pool_grad: dx[n, h, w, c] = sum of dy over the windows whose max (max_pool_argmax, a
// position in the window) is (h, w). Output has the input's shape; its adjoint is
// max_pool_gather.
INPUT(u_argmax);
uniform int u_argmax_shift;
INPUT(u_dy);
uniform int u_dy_shift;

VALUE pooled(int e) {
    ivec4 p = unravel(e, u_in.yz);
    ivec2 lo, hi;
    covering_windows(p.yz, lo, hi);
    VALUE total = VALUE(0.0);
    for (int oh = lo.x; oh < hi.x; ++oh) {
        for (int ow = lo.y; ow < hi.y; ++ow) {
            ivec2 offset = p.yz - ivec2(oh, ow) * u_stride + u_pad;  // (h, w) in this window
            VALUE self = VALUE(float(offset.x * u_window.y + offset.y));
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
