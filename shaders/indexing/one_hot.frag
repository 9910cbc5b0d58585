// one_hot: out[q, d] = on if indices[q] == d else off, for d in [0, depth). An index outside
// [0, depth) (negative too) gives a row of `off`, as in TensorFlow.
uniform sampler2D u_indices;
uniform int u_indices_shift;
uniform int u_out_shift;
uniform int u_out_size;
uniform int u_depth;
uniform float u_on;
uniform float u_off;
out vec4 o_result;

void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int e0 = ((frag.y << u_out_shift) + frag.x) << 2;
    vec4 v;
    for (int c = 0; c < 4; ++c) {
        int e = min(e0 + c, u_out_size - 1);
        int q = e / u_depth;
        float index = element_at(u_indices, u_indices_shift, q);
        v[c] = index == float(e - q * u_depth) ? u_on : u_off;
    }
    o_result = v;
}
