// sgd_momentum_update: one pass computes a variable's new value and velocity, written through two
// render targets. All inputs have the variable's layout: every read is this fragment's texel.
// The composed path's arithmetic, step for step:
//   step = g * lr        velocity' = velocity * momentum - step
//   w' = w * decay + velocity'                            (classic momentum)
//   w' = w * decay + (velocity' * momentum - step)         (nesterov; a uniform, no recompile)
INPUT(u_var);
INPUT(u_velocity);
INPUT(u_grad);
uniform float u_lr;
uniform float u_momentum;
uniform float u_decay;
uniform int u_nesterov;
layout(location = 0) out vec4 o_var;
layout(location = 1) out vec4 o_velocity;

void main() {
    vec4 step = SAME_TEXEL(u_grad) * u_lr;
    vec4 velocity = SAME_TEXEL(u_velocity) * u_momentum - step;
    vec4 increment = u_nesterov != 0 ? velocity * u_momentum - step : velocity;
    o_var = SAME_TEXEL(u_var) * u_decay + increment;
    o_velocity = velocity;
}
