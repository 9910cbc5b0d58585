// max_pool_argmax: where each window's max sits, as its position in the window
// (dh * KW + dw from the window's unclipped corner o * stride - pad): small whatever the image
// size, so exact in a float texture for windows of up to 2^24 positions (checked on the host).
// The first maximum in row-major window order wins ties, as TF's max-pool gradient does.
INPUT(u_x);
uniform int u_x_shift;

VALUE pooled(int e) {
    ivec4 p = unravel(e, u_out);
    ivec2 lo, hi;
    window_bounds(p.yz, lo, hi);
    ivec2 corner = p.yz * u_stride - u_pad;
    VALUE best = VALUE(-pos_inf());
    VALUE where = VALUE(0.0);
    for (int h = lo.x; h < hi.x; ++h) {
        for (int w = lo.y; w < hi.y; ++w) {
            float at = float((h - corner.x) * u_window.y + w - corner.y);
            VALUE v = READ(u_x, u_x_shift, ((p.x * u_in.y + h) * u_in.z + w) * u_in.w + p.w);
#if defined(ALIGNED)
            bvec4 better = greaterThan(v, best);
            where = mix(where, vec4(at), better);
            best = mix(best, v, better);
#else
            if (v > best) {
                where = at;
                best = v;
            }
#endif
        }
    }
    return where;
}
