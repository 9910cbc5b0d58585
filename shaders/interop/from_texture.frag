// from_texture: a user's texture (W x H pixels, COMPONENTS channels) as glflow's packed layout
// of an [H, W, COMPONENTS] tensor: output texel t holds elements 4t..4t+3 of the row-major
// buffer. Tensor row 0 is the picture's top row, which GL keeps last (row H-1) unless u_flip is
// 0. Code-path defines from the runtime: COMPONENTS (1..4) and UNORM8 (8-bit normalised texels,
// whose sampled values are snapped to the exact float32 of k / 255 through u_unorm8: drivers
// may return k / 255 an ulp off, as Mesa's llvmpipe does).
#ifndef COMPONENTS
#define COMPONENTS 4
#endif
uniform sampler2D u_image;
uniform int u_out_shift;   // log2 of the output texture width
uniform int u_out_size;    // H * W * COMPONENTS; the last texel may reach past it
uniform int u_width;       // W
uniform int u_height;      // H
uniform int u_flip;        // 1: tensor row y reads texture row H-1-y
#ifdef UNORM8
uniform float u_unorm8[256];
#endif
out vec4 o_result;

vec4 pixel(int p) {
    int y = p / u_width;
    int x = p - y * u_width;
    vec4 v = texelFetch(u_image, ivec2(x, u_flip != 0 ? u_height - 1 - y : y), 0);
#ifdef UNORM8
    ivec4 k = ivec4(round(v * 255.0));
    v = vec4(u_unorm8[k.x], u_unorm8[k.y], u_unorm8[k.z], u_unorm8[k.w]);
#endif
    return v;
}

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int t = (frag.y << u_out_shift) + frag.x;
    int e0 = t << 2;
    if (e0 >= u_out_size) {   // padding texels past the tensor: defined zeros
        o_result = vec4(0.0);
        return;
    }
#if COMPONENTS == 4
    o_result = pixel(t);
#else
    vec4 v = vec4(0.0);
    for (int i = 0; i < 4; ++i) {
        int e = e0 + i;
        if (e < u_out_size) {
            int p = e / COMPONENTS;
            v[i] = pixel(p)[e - p * COMPONENTS];
        }
    }
    o_result = v;
#endif
}
