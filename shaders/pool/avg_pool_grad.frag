// avg_pool_grad: dx[n, h, w, c] = sum of dy / window size over the windows holding (h, w):
// the adjoint of avg_pool (and avg_pool the adjoint of this). Output has the input's shape.
INPUT(u_dy);
uniform int u_dy_shift;

VALUE pooled(int e) {
    ivec4 p = unravel(e, u_in.yz);
    ivec2 lo, hi;
    covering_windows(p.yz, lo, hi);
    VALUE total = VALUE(0.0);
    for (int oh = lo.x; oh < hi.x; ++oh) {
        for (int ow = lo.y; ow < hi.y; ++ow) {
            ivec2 wlo, whi;
            window_bounds(ivec2(oh, ow), wlo, whi);
            ivec2 count = whi - wlo;
            total += READ(u_dy, u_dy_shift, ((p.x * u_out.x + oh) * u_out.y + ow) * u_in.w + p.w)
                     / float(count.x * count.y);
        }
    }
    return total;
}
