// max_pool_argmax: where each window's max sits, as the flat index within its image
// ((h * W + w) * C + c; exact in float below 2^24, checked on the host). The first maximum in
// row-major window order wins ties, as TF's max-pool gradient does.
uniform sampler2D u_x;
uniform int u_x_shift;

VALUE pooled(int e) {
    ivec4 p = unravel(e, u_out);
    ivec2 lo, hi;
    window_bounds(p.yz, lo, hi);
    VALUE best = VALUE(-pos_inf());
    VALUE where = VALUE(0.0);
    int image = p.x * u_in.y * u_in.z * u_in.w;
    for (int h = lo.x; h < hi.x; ++h) {
        for (int w = lo.y; w < hi.y; ++w) {
            int at = (h * u_in.z + w) * u_in.w + p.w;
            VALUE v = READ(u_x, u_x_shift, image + at);
#if defined(ALIGNED)
            bvec4 better = greaterThan(v, best);
            where = mix(where, vec4(at) + vec4(0.0, 1.0, 2.0, 3.0), better);
            best = mix(best, v, better);
#else
            if (v > best) {
                where = float(at);
                best = v;
            }
#endif
        }
    }
    return where;
}
