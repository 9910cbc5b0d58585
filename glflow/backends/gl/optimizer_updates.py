"""Fused optimizer updates on GL: one pass per variable writes the new value and the slot
variables through several render targets (shaders/adam_update.frag,
shaders/sgd_momentum_update.frag). Every input has the variable's element count, so all share
one texture layout and the outputs are pool textures of that layout; the inputs are read
through image units where elementwise passes read so (context.py, "Image loads").

The MRT framebuffer comes from the backend's cache, keyed by the output textures: the pool hands
the same few textures back step after step, so after the first steps no framebuffer is made.
"""
from .programs import load


def _source(kernel, image=False):
    """image: every input read through an image unit (context.py, "Image loads")."""
    define = "#define IMAGE_INPUT\n" if image else ""
    return define + load("templates/common.glsl") + "\n" + load(f"optimizer_updates/{kernel}.frag")


def _run(backend, kernel, samplers, inputs, n_outputs, uniforms):
    """Draw `kernel` over the inputs' layout into n_outputs new GLData; returns them."""
    size = inputs[0].layout.size
    outputs = [backend.alloc(size) for _ in range(n_outputs)]
    if size == 0:
        return tuple(outputs)
    image = backend.image_inputs >= len(inputs)
    prog = backend.programs.get(_source(kernel, image), samplers)
    for name, value in uniforms.items():
        prog.set(name, value)
    fbo = backend.mrt_framebuffers.get([out.texture for out in outputs])
    lay = outputs[0].layout
    backend._draw(prog, fbo, lay.width, lay.rows, [x.texture.tex.mglo for x in inputs],
                  images=(True,) * len(inputs) if image else None)
    return tuple(outputs)


def adam_update(backend, var, m, v, grad, out_shape, beta_1, beta_2, lr_t, epsilon, decay):
    """(new variable, new m, new v); see shaders/adam_update.frag."""
    return _run(backend, "adam_update", ["u_var", "u_m", "u_v", "u_grad"], [var, m, v, grad], 3,
                {"u_beta_1": beta_1, "u_one_minus_beta_1": 1.0 - beta_1,
                 "u_beta_2": beta_2, "u_one_minus_beta_2": 1.0 - beta_2,
                 "u_lr_t": lr_t, "u_epsilon": epsilon, "u_decay": decay})


def sgd_momentum_update(backend, var, velocity, grad, out_shape, lr, momentum, nesterov, decay):
    """(new variable, new velocity); see shaders/sgd_momentum_update.frag."""
    return _run(backend, "sgd_momentum_update", ["u_var", "u_velocity", "u_grad"],
                [var, velocity, grad], 2,
                {"u_lr": lr, "u_momentum": momentum, "u_nesterov": int(bool(nesterov)),
                 "u_decay": decay})


KERNELS = {"adam_update": adam_update, "sgd_momentum_update": sgd_momentum_update}
