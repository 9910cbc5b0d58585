// Elementwise template: one fragment computes one output texel = 4 consecutive output elements.
// The generator fills the marked lines: input declarations, kernel functions, how each input is
// loaded (same texel / scalar / broadcast block / strided), and the composed kernel expression.
uniform int u_out_shift;   // log2 of the output texture width
uniform int u_out_size;    // output element count; the last texel may reach past it
out vec4 o_result;
//@DECLARATIONS
//@FUNCTIONS
void main() {
    ivec2 frag = ivec2(gl_FragCoord.xy);
    int t = (frag.y << u_out_shift) + frag.x;
    int e0 = t << 2;
//@LOADS
    o_result = RESULT_EXPRESSION;
}
