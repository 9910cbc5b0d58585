// max_pool: the largest value of each (clipped) window; templates/pool.glsl owns main().
INPUT(u_x);
uniform int u_x_shift;

VALUE pooled(int e) {
    ivec4 p = unravel(e, u_out);
    ivec2 lo, hi;
    window_bounds(p.yz, lo, hi);
    VALUE best = VALUE(-pos_inf());
    for (int h = lo.x; h < hi.x; ++h) {
        for (int w = lo.y; w < hi.y; ++w) {
            best = max(best, READ(u_x, u_x_shift, ((p.x * u_in.y + h) * u_in.z + w) * u_in.w + p.w));
        }
    }
    return best;
}
