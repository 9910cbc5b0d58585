// Elementwise template: one fragment computes one output texel = 4 consecutive output elements
// of every output (several outputs: one render target each, all of one shape).
// The generator fills the marked lines: the outputs, input declarations, kernel functions, how
// each input is loaded (same texel / scalar / broadcast block / strided), the program's
// temporaries and the stores.
uniform int u_out_shift;   // log2 of the output texture width
uniform int u_out_size;    // output element count; the last texel may reach past it
//@OUTPUTS
//@DECLARATIONS
//@FUNCTIONS
void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int t = (frag.y << u_out_shift) + frag.x;
    int e0 = t << 2;
//@LOADS
//@STORES
}
