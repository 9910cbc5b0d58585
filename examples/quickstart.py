"""glflow in a minute: tensors in textures, ops as shaders, memory, variables, backends.

    glflow run examples/quickstart.py
"""
import glflow as gf

print(f"backend: {gf.get_backend()} ({gf.backend_info().get('renderer', 'numpy')})")

a = gf.tensor2d([[1, 2, 3], [10, 20, 30]])      # lives in an RGBA32F texture on GL
b = gf.tensor([1.0, 2.0, 3.0])
c = (a + b).square().sum(axis=1)                 # fragment shaders, numpy broadcasting
print("c =", c)                                  # [56.0, 1694.0]
print("c.numpy() =", c.numpy())                  # reads the texture back

print("memory:", gf.memory())                    # tensors, bytes, textures, programs, compiles

# tidy: every tensor made inside is released when it returns, except the result
inside = []


def scaled_sum():
    t = a * 2 + 1
    inside.append(t)
    return t.sum()


y = gf.tidy(scaled_sum)
print("tidy result:", y.item(), "| intermediate disposed:", inside[0].is_disposed)

# variables are the mutable holders that optimizers update
v = gf.variable(gf.zeros([5]))
v.assign(gf.tensor1d([0.0, 1, 0, 1, 0]))
print("variable:", v.numpy())

dx = gf.grad(lambda x: (x * x).sum())(b)         # autodiff: d/dx sum(x^2) = 2x
print("grad:", dx.numpy())

gl_result = c.numpy()
gf.set_backend("cpu")                            # the numpy backend: same API, same results
c_cpu = (gf.tensor2d([[1, 2, 3], [10, 20, 30]]) + gf.tensor([1.0, 2.0, 3.0])).square().sum(axis=1)
print("cpu backend:", c_cpu.numpy(), "| same as before:", bool((c_cpu.numpy() == gl_result).all()))
