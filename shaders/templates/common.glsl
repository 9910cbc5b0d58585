// Shared by every generated fragment shader: precision (GLSL ES needs it) and texel addressing.
// EXACT marks the temporaries of generated elementwise programs: GLSL may contract a * b + c
// into one fused multiply-add (one rounding), which ops run as passes of their own never do,
// so a fused program would round differently from the same ops unfused. GL_ARB_gpu_shader5's
// `precise` forbids that; the runtime defines GLFLOW_EXACT where the GL has it (desktop GL
// 4.0+, llvmpipe: programs.py). GLSL ES 3.00 has no `precise`: there the contraction stays
// allowed. The #extension line must precede every other token.
#if defined(GLFLOW_EXACT)
#extension GL_ARB_gpu_shader5 : require
#define EXACT precise
#else
#define EXACT
#endif
// EXACT_FMA(a, b, c) = a * b + c where the product a * b is exact in float32 (sin.glsl's
// argument reduction): one instruction where the GL has fma (gpu_shader5), two elsewhere, the
// same bits either way (an exact product leaves one rounding, the sum's).
#if defined(GLFLOW_EXACT)
#define EXACT_FMA(a, b, c) fma(a, b, c)
#else
#define EXACT_FMA(a, b, c) ((a) * (b) + (c))
#endif
// Kernels whose every input is a tensor texture declare each with INPUT(name) and read texel
// `coord` with TEXEL_AT(name, coord); SAME_TEXEL(name) is the texel of this fragment's output
// (an input of the output's layout). Through read-only image units where the runtime defines
// IMAGE_INPUT (gl/context.py, "Image loads"), else through samplers.
#if defined(IMAGE_INPUT)
#define INPUT(name) layout(rgba32f) readonly uniform image2D name
#define TEXEL_AT(name, coord) imageLoad(name, coord)
#else
#define INPUT(name) uniform sampler2D name
#define TEXEL_AT(name, coord) texelFetch(name, coord, 0)
#endif
#define SAME_TEXEL(name) TEXEL_AT(name, ivec2(gl_FragCoord.xy))
// A tensor's texture has a power-of-two width, so flat texel index t -> (t & (w-1), t >> log2 w).
precision highp float;
precision highp int;
precision highp sampler2D;

ivec2 texel_coord(int t, int shift) {
    return ivec2(t & ((1 << shift) - 1), t >> shift);
}

// Element e of the flat buffer: texel e/4, component e%4.
float element_at(sampler2D s, int shift, int e) {
    vec4 v = texelFetch(s, texel_coord(e >> 2, shift), 0);
    return v[e & 3];
}

// IEEE specials built from bits: GLSL has no literals for them and 1.0/0.0 is not portable.
float pos_inf() { return uintBitsToFloat(0x7F800000u); }
float nan_value() { return uintBitsToFloat(0x7FC00000u); }
