// to_texture: an [H, W, COMPONENTS] tensor in glflow's packed layout drawn into a new W x H
// texture of COMPONENTS channels, one fragment per pixel. Tensor row 0 is the picture's top
// row, so it lands in GL's last texture row (H-1) unless u_flip is 0. 8-bit targets get GL's
// own conversion (clamped to [0, 1], rounded to the nearest of k / 255).
// Code-path define from the runtime: COMPONENTS (1..4).
#ifndef COMPONENTS
#define COMPONENTS 4
#endif
uniform sampler2D u_x;
uniform int u_x_shift;     // log2 of the tensor texture's width
uniform int u_height;      // H
uniform int u_width;       // W
uniform int u_flip;        // 1: texture row r shows tensor row H-1-r
out vec4 o_result;

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int y = u_flip != 0 ? u_height - 1 - frag.y : frag.y;
    int p = y * u_width + frag.x;
#if COMPONENTS == 4
    o_result = texelFetch(u_x, texel_coord(p, u_x_shift), 0);
#else
    vec4 v = vec4(0.0, 0.0, 0.0, 1.0);
    for (int c = 0; c < COMPONENTS; ++c) {
        v[c] = element_at(u_x, u_x_shift, p * COMPONENTS + c);
    }
    o_result = v;
#endif
}
