// avg_pool: the mean of each window over its elements inside the input (padding excluded,
// as TF); templates/pool.glsl owns main().
INPUT(u_x);
uniform int u_x_shift;

VALUE pooled(int e) {
    ivec4 p = unravel(e, u_out);
    ivec2 lo, hi;
    window_bounds(p.yz, lo, hi);
    VALUE total = VALUE(0.0);
    for (int h = lo.x; h < hi.x; ++h) {
        for (int w = lo.y; w < hi.y; ++w) {
            total += READ(u_x, u_x_shift, ((p.x * u_in.y + h) * u_in.z + w) * u_in.w + p.w);
        }
    }
    ivec2 count = hi - lo;
    return total / float(count.x * count.y);
}
