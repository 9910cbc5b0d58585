"""Render 3-D shapes with moderngl in glflow's own GL context and classify every frame with a
glflow model, the frames never leaving the GPU: moderngl draws into a texture,
gf.from_texture turns it into a tensor in one shader pass, and the network reads that tensor.

The classifier is a small CNN this script trains itself, on frames it renders (random shape,
pose, colour, size and position): no pretrained weights, nothing downloaded. Then it renders an
animation of rotating shapes, labels each frame with the network's answer, and writes a GIF
(and a PNG strip of a few frames).

    glflow run examples/render_and_classify.py [--out DIR] [--train N] [--epochs N] [--frames N]
    glflow run examples/render_and_classify.py --smoke    (small and quick: what the tests run)

Rendering and glflow share one context: moderngl calls go inside `gf.gl_section()`, which
makes glflow's context current in this thread (glflow/interop.py says why).
"""
import argparse
import os
import time

import moderngl
import numpy as np

import glflow as gf

SHAPES = ["cube", "pyramid", "sphere"]
BACKGROUND = (0.08, 0.09, 0.12)
FIELD_OF_VIEW = 40.0                   # degrees, vertical
CAMERA_DISTANCE = 3.0
MODEL_SIZE = 32                        # the network sees 32 x 32 RGBA
SMOKE = {"size": 64, "train": 32, "test": 16, "epochs": 2, "frames": 6}
FULL = {"size": 128, "train": 640, "test": 200, "epochs": 12, "frames": 72}

VERTEX_SHADER = """
#version 330 core
uniform mat4 u_projection;
uniform mat4 u_model;
in vec3 in_position;
in vec3 in_normal;
out vec3 v_normal;
void main() {
    v_normal = mat3(u_model) * in_normal;
    gl_Position = u_projection * (u_model * vec4(in_position, 1.0));
}
"""
FRAGMENT_SHADER = """
#version 330 core
uniform vec3 u_color;
in vec3 v_normal;
out vec4 color;
void main() {
    vec3 light = normalize(vec3(-0.4, 0.7, 1.0));
    float diffuse = max(dot(normalize(v_normal), light), 0.0);
    color = vec4(u_color * (0.3 + 0.7 * diffuse), 1.0);
}
"""


# --------------------------------------------------------------------------- meshes

def flat_triangles(corners, faces):
    """[n, 6] float32 vertices (position, face normal) of polygons given as corner indices,
    each fanned into triangles and wound counter-clockwise seen from outside."""
    rows = []
    for face in faces:
        points = corners[face]
        normal = np.cross(points[1] - points[0], points[2] - points[0])
        normal /= np.linalg.norm(normal)
        for k in range(1, len(face) - 1):
            for p in (points[0], points[k], points[k + 1]):
                rows.append(np.concatenate([p, normal]))
    return np.array(rows, np.float32)


def cube():
    c = np.array([[x, y, z] for x in (-0.6, 0.6) for y in (-0.6, 0.6) for z in (-0.6, 0.6)])
    faces = [[0, 1, 3, 2], [4, 6, 7, 5], [0, 4, 5, 1], [2, 3, 7, 6], [0, 2, 6, 4], [1, 5, 7, 3]]
    return flat_triangles(c, faces)


def pyramid():
    c = np.array([[-0.75, -0.6, -0.75], [0.75, -0.6, -0.75], [0.75, -0.6, 0.75],
                  [-0.75, -0.6, 0.75], [0.0, 0.8, 0.0]])
    faces = [[0, 1, 2, 3], [0, 4, 1], [1, 4, 2], [2, 4, 3], [3, 4, 0]]
    return flat_triangles(c, faces)


def sphere(radius=0.8, rings=16, segments=24):
    """A UV sphere with smooth normals (a point's normal is its direction)."""
    theta = np.linspace(0, np.pi, rings + 1)
    phi = np.linspace(0, 2 * np.pi, segments + 1)
    grid = np.stack([np.sin(theta)[:, None] * np.cos(phi), np.cos(theta)[:, None]
                     * np.ones_like(phi), np.sin(theta)[:, None] * np.sin(phi)], -1)
    rows = []
    for i in range(rings):
        for j in range(segments):
            a, b, c, d = grid[i, j], grid[i + 1, j], grid[i + 1, j + 1], grid[i, j + 1]
            for p in (a, d, c, a, c, b):
                rows.append(np.concatenate([p * radius, p]))
    return np.array(rows, np.float32)


MESHES = {"cube": cube, "pyramid": pyramid, "sphere": sphere}


# --------------------------------------------------------------------------- camera

def perspective(fov_degrees, aspect=1.0, near=0.1, far=20.0):
    f = 1.0 / np.tan(np.radians(fov_degrees) / 2)
    return np.array([[f / aspect, 0, 0, 0], [0, f, 0, 0],
                     [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
                     [0, 0, -1, 0]], np.float32)


def rotation(x, y, z):
    cx, sx, cy, sy, cz, sz = np.cos(x), np.sin(x), np.cos(y), np.sin(y), np.cos(z), np.sin(z)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


def model_matrix(angles, scale=1.0, offset=(0.0, 0.0)):
    """Rotate, scale, then move to (offset, -CAMERA_DISTANCE): the camera sits at the origin
    looking down -z."""
    m = np.eye(4, dtype=np.float32)
    m[:3, :3] = rotation(*angles) * scale
    m[:3, 3] = [offset[0], offset[1], -CAMERA_DISTANCE]
    return m


# --------------------------------------------------------------------------- rendering

class Renderer:
    """Draws one shape at a time into an RGBA8 texture of glflow's context (with a depth
    buffer), size x size pixels. Each method holds glflow's GL section (nested ones are free)."""

    def __init__(self, size):
        self.size = size
        with gf.gl_section() as ctx:
            self.ctx = ctx
            self.program = ctx.program(vertex_shader=VERTEX_SHADER,
                                       fragment_shader=FRAGMENT_SHADER)
            self.program["u_projection"].write(perspective(FIELD_OF_VIEW).T.tobytes())
            self.shapes = {}
            for name, make in MESHES.items():
                buffer = ctx.buffer(make().tobytes())
                self.shapes[name] = ctx.vertex_array(
                    self.program, [(buffer, "3f 3f", "in_position", "in_normal")])
            self.color = ctx.texture((size, size), 4)        # 8-bit RGBA: from_texture reads it
            self.depth = ctx.depth_renderbuffer((size, size))
            self.framebuffer = ctx.framebuffer([self.color], self.depth)

    def render(self, shape, angles, colour, scale=1.0, offset=(0.0, 0.0)):
        """Draw one frame; returns the colour texture (overwritten by the next frame)."""
        with gf.gl_section():
            self.framebuffer.use()
            # on every frame: glflow's calls turn depth test and culling off
            self.ctx.enable(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
            self.framebuffer.clear(*BACKGROUND, 1.0)
            self.program["u_model"].write(model_matrix(angles, scale, offset).T.tobytes())
            self.program["u_color"].value = tuple(colour)
            self.shapes[shape].render(moderngl.TRIANGLES)
        return self.color

    def release(self):
        with gf.gl_section():
            for vao in self.shapes.values():
                vao.release()
            for obj in (self.framebuffer, self.color, self.depth, self.program):
                obj.release()


def model_input(frame, size):
    """[1, 32, 32, 4] for the network from a [size, size, 4] frame tensor (mean-pooled). All
    four channels (alpha is 1): a conv over 4 channels takes glflow's direct convolution,
    which has no limit on the batch (3 channels would take im2col, limited to 16384 output
    pixels a batch for now)."""
    factor = size // MODEL_SIZE
    return gf.avg_pool(frame[None], factor, factor, "valid") if factor > 1 else frame[None]


def random_pose(rng):
    """A shape on a turntable: any turn about the vertical axis, tilted up to ~30 degrees
    (seen from below, a pyramid's square base would look like a cube's face)."""
    angles = (rng.uniform(-0.5, 0.6), rng.uniform(0, 2 * np.pi), rng.uniform(-0.3, 0.3))
    return {"angles": angles, "colour": rng.uniform(0.35, 1.0, 3),
            "scale": rng.uniform(0.55, 0.8), "offset": rng.uniform(-0.25, 0.25, 2)}


def rendered_dataset(renderer, count, rng):
    """`count` random frames as one [count, 32, 32, 4] tensor on the GPU, and their labels."""
    labels = rng.integers(0, len(SHAPES), count)
    inputs = []
    with gf.gl_section():
        for label in labels:
            texture = renderer.render(SHAPES[label], **random_pose(rng))
            inputs.append(model_input(gf.from_texture(texture), renderer.size))
    return gf.concat(inputs, axis=0), labels


# --------------------------------------------------------------------------- the network

def classifier():
    return gf.Sequential([
        gf.layers.Conv2D(8, 3, activation="relu", input_shape=(MODEL_SIZE, MODEL_SIZE, 4)),
        gf.layers.MaxPooling2D(2),
        gf.layers.Conv2D(16, 3, activation="relu"),
        gf.layers.MaxPooling2D(2),
        gf.layers.Flatten(),
        gf.layers.Dense(32, activation="relu"),
        gf.layers.Dense(len(SHAPES), activation="softmax")])


def train(model, renderer, frames, epochs, rng, batch=32):
    """A plain training loop on GPU tensors. Every epoch renders `frames` new frames (so the
    network never sees a frame twice and cannot learn them by heart); batches are gathered
    from the frame tensor on the GPU (model.fit would take host arrays). Returns the last
    epoch's mean loss."""
    optimizer = gf.optimizers.Adam(3e-3)
    mean_loss = float("nan")
    for _ in range(epochs):
        inputs, labels = rendered_dataset(renderer, frames, rng)
        targets = gf.tensor(labels.astype(np.int32))
        order = rng.permutation(frames)
        losses = []
        for start in range(0, frames, batch):
            pick = gf.tensor(order[start:start + batch].astype(np.int32))

            def step():
                with gf.GradientTape() as tape:
                    probs = model(gf.gather(inputs, pick), training=True)
                    loss = gf.mean(gf.losses.sparse_categorical_crossentropy(
                        gf.gather(targets, pick), probs))
                weights = model.trainable_weights
                optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
                return loss
            losses.append(gf.tidy(step))
        mean_loss = float(gf.mean(gf.stack(losses)).item())
    return mean_loss


def accuracy(model, inputs, labels):
    predicted = gf.argmax(model(inputs, training=False), axis=1).numpy()
    return float(np.mean(predicted == labels))


# --------------------------------------------------------------------------- the animation

def animation(renderer, model, count):
    """`count` frames of rotating shapes (each shape a third of the time), classified as they
    are rendered. Returns [(frame [size, size, 4] host array, true shape, guess, confidence)]."""
    frames = []
    palette = [(0.95, 0.55, 0.25), (0.35, 0.75, 0.95), (0.55, 0.9, 0.4)]
    with gf.gl_section():
        for i in range(count):
            label = (i * len(SHAPES)) // count
            t = i / count * 2 * np.pi
            texture = renderer.render(SHAPES[label], angles=(0.4 * np.sin(t), 3 * t, 0.2),
                                      colour=palette[label], scale=0.7,
                                      offset=(0.2 * np.sin(2 * t), 0.1 * np.cos(3 * t)))
            frame = gf.from_texture(texture)                  # on the GPU, top row first
            probs = model(model_input(frame, renderer.size), training=False).numpy()[0]
            guess = int(np.argmax(probs))
            frames.append((frame.numpy(), SHAPES[label], SHAPES[guess], float(probs[guess])))
    return frames


def labelled(frame, truth, guess, confidence, scale):
    """The frame as uint8 RGB, enlarged `scale` times, with the network's answer on it."""
    from PIL import Image, ImageDraw
    pixels = np.rint(np.clip(frame[:, :, :3], 0, 1) * 255).astype(np.uint8)
    picture = Image.fromarray(np.kron(pixels, np.ones((scale, scale, 1), np.uint8)))
    draw = ImageDraw.Draw(picture)
    colour = (120, 255, 140) if guess == truth else (255, 110, 110)
    draw.text((4, 3), f"{guess} {confidence:.0%}", fill=colour)
    return np.asarray(picture)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="glflow_pictures", help="folder for the pictures")
    parser.add_argument("--train", type=int, help="new frames rendered for each epoch")
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--frames", type=int, help="frames of the animation")
    parser.add_argument("--smoke", action="store_true", help="small and quick (tests)")
    args = parser.parse_args(argv)
    settings = dict(SMOKE if args.smoke else FULL)
    settings.update({k: getattr(args, k) for k in ("train", "epochs", "frames")
                     if getattr(args, k) is not None})
    size = settings["size"]

    # glflow's context first (gf.context() makes it): on llvmpipe the first GL context of a
    # process fixes the rasteriser threads of all, and glflow asks for none (README, Limits).
    info = gf.backend_info()
    print(f"glflow on {info['backend']} ({info['renderer']})")
    gf.set_seed(1)
    rng = np.random.default_rng(1)
    renderer = Renderer(size)
    model = classifier()
    start = time.perf_counter()
    loss = train(model, renderer, settings["train"], settings["epochs"], rng)
    seen = settings["train"] * settings["epochs"]
    print(f"classifier: a small CNN trained here, now, on {seen} frames this script rendered "
          f"({settings['epochs']} epochs of {settings['train']} new frames; no pretrained "
          f"weights), {time.perf_counter() - start:.1f} s; last epoch's loss {loss:.3f}")
    print(f"every frame went from moderngl to the network by from_texture (one GPU pass, "
          f"no read back)")
    test_inputs, test_labels = rendered_dataset(renderer, settings["test"], rng)
    print(f"accuracy on {settings['test']} new frames: "
          f"{accuracy(model, test_inputs, test_labels):.0%}")

    frames = animation(renderer, model, settings["frames"])
    renderer.release()
    right = sum(truth == guess for _, truth, guess, _ in frames)
    print(f"animation: {len(frames)} frames, {right} labelled correctly")
    scale = max(1, 192 // size)
    pictures = [labelled(*f, scale=scale) for f in frames]
    os.makedirs(args.out, exist_ok=True)
    gif = gf.io.write_gif(os.path.join(args.out, "render_and_classify.gif"), pictures, fps=12)
    print(f"wrote {gif}")
    shown = [pictures[i] for i in np.linspace(0, len(pictures) - 1, 6).astype(int)]
    gap = np.full((pictures[0].shape[0], 3, 3), 255, np.uint8)
    strip = np.concatenate(sum([[p, gap] for p in shown], [])[:-1], axis=1)
    png = gf.io.write_image(os.path.join(args.out, "render_and_classify.png"), strip)
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
