"""Render 3-D shapes with moderngl in glflow's own GL context and classify every frame with a
glflow model, the frames never leaving the GPU: moderngl draws into a texture,
gf.from_texture turns it into a tensor in one shader pass, and the network reads that tensor.

The classifier is a small CNN this script trains itself, on frames it renders (random shape,
pose, colour, size and position): no pretrained weights, nothing downloaded. Then it renders an
animation of rotating shapes, labels each frame with the network's answer, and writes a GIF
(and a PNG strip of a few frames).

    glflow run examples/render_and_classify.py [--out DIR] [--steps N] [--frames N]
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
SMOKE = {"size": 64, "batch": 8, "steps": 4, "test_batches": 2, "frames": 6}
FULL = {"size": 128, "batch": 32, "steps": 240, "test_batches": 6, "frames": 72}

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
    """Draws up to `batch` frames side by side into one RGBA8 texture of glflow's context (an
    atlas, with a depth buffer): frame i is the size x size square at x = i * size. One
    from_texture pass then hands the whole batch to glflow. Each method holds glflow's GL
    section (nested sections are free)."""

    def __init__(self, size, batch=1):
        self.size = size
        self.batch = batch
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
            self.color = ctx.texture((size * batch, size), 4)   # 8-bit RGBA, what a window has
            self.depth = ctx.depth_renderbuffer((size * batch, size))
            self.framebuffer = ctx.framebuffer([self.color], self.depth)

    def render(self, poses):
        """Draw one frame per pose (dicts with shape, angles, colour and optionally scale and
        offset); returns the atlas texture (overwritten by the next call)."""
        if not 1 <= len(poses) <= self.batch:
            raise ValueError(f"render: 1 to {self.batch} poses, got {len(poses)}")
        with gf.gl_section():
            self.framebuffer.use()
            # all the state this drawing needs, on every call: glflow's calls turn depth test
            # and culling off, and other code sharing the context may change the rest
            self.ctx.enable_only(moderngl.DEPTH_TEST | moderngl.CULL_FACE)
            self.ctx.depth_func = "<"
            self.ctx.cull_face = "back"
            self.ctx.front_face = "ccw"
            self.framebuffer.clear(*BACKGROUND, 1.0)
            for i, pose in enumerate(poses):
                self.framebuffer.viewport = (i * self.size, 0, self.size, self.size)
                matrix = model_matrix(pose["angles"], pose.get("scale", 1.0),
                                      pose.get("offset", (0.0, 0.0)))
                self.program["u_model"].write(matrix.T.tobytes())
                self.program["u_color"].value = tuple(pose["colour"])
                self.shapes[pose["shape"]].render(moderngl.TRIANGLES)
        return self.color

    def frames(self, poses):
        """The frames of `poses` as a [n, size, size, 4] tensor, rendered and handed over on
        the GPU: one from_texture pass for the atlas, then a reshape and a transpose."""
        n, size = len(poses), self.size
        atlas = gf.from_texture(self.render(poses))                # [size, batch * size, 4]
        strip = atlas[:, :n * size] if n < self.batch else atlas
        return gf.transpose(gf.reshape(strip, [size, n, size, 4]), [1, 0, 2, 3])

    def release(self):
        with gf.gl_section():
            for vao in self.shapes.values():
                vao.release()
            for obj in (self.framebuffer, self.color, self.depth, self.program):
                obj.release()


def model_input(frames, size):
    """[n, 32, 32, 4] for the network from [n, size, size, 4] frames (mean-pooled). All four
    channels (alpha is 1): a conv over whole RGBA32F texels takes glflow's direct convolution,
    which reads them in place (3 channels would take im2col + matmul, copying every patch)."""
    factor = size // MODEL_SIZE
    return gf.avg_pool(frames, factor, factor, "valid") if factor > 1 else frames


def random_pose(rng):
    """A random shape on a turntable: any turn about the vertical axis, tilted up to ~30
    degrees (seen from below, a pyramid's square base would look like a cube's face)."""
    angles = (rng.uniform(-0.5, 0.6), rng.uniform(0, 2 * np.pi), rng.uniform(-0.3, 0.3))
    return {"shape": SHAPES[rng.integers(len(SHAPES))], "angles": angles,
            "colour": rng.uniform(0.35, 1.0, 3), "scale": rng.uniform(0.55, 0.8),
            "offset": rng.uniform(-0.25, 0.25, 2)}


def rendered_batch(renderer, rng):
    """A batch of new random frames as a [batch, 32, 32, 4] tensor on the GPU, and labels."""
    poses = [random_pose(rng) for _ in range(renderer.batch)]
    labels = np.array([SHAPES.index(p["shape"]) for p in poses], np.int32)
    return model_input(renderer.frames(poses), renderer.size), labels


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


def train(model, renderer, steps, rng):
    """A plain training loop on GPU tensors: every step renders a new batch (the network never
    sees a frame twice, so it cannot learn them by heart) and takes one Adam step on it.
    Returns the mean loss of the last quarter of the steps."""
    optimizer = gf.optimizers.Adam(3e-3)
    losses = []
    for _ in range(steps):
        inputs, labels = rendered_batch(renderer, rng)
        targets = gf.tensor(labels)

        def step():
            with gf.GradientTape() as tape:
                probs = model(inputs, training=True)
                loss = gf.mean(gf.losses.sparse_categorical_crossentropy(targets, probs))
            weights = model.trainable_weights
            optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
            return loss
        losses.append(gf.tidy(step))
    tail = losses[-max(1, steps // 4):]
    return float(np.mean([loss.item() for loss in tail]))


def accuracy(model, renderer, batches, rng):
    """The share of `batches` new random batches the network labels right."""
    right = 0
    for _ in range(batches):
        inputs, labels = rendered_batch(renderer, rng)
        right += int(np.sum(gf.argmax(model(inputs, training=False), axis=1).numpy() == labels))
    return right / (batches * renderer.batch)


# --------------------------------------------------------------------------- the animation

def animation(renderer, model, count):
    """`count` frames of rotating shapes (each shape a third of the time), classified as they
    are rendered, one at a time. Returns [(frame [size, size, 4] host array, true shape,
    guess, confidence)]."""
    frames = []
    palette = [(0.95, 0.55, 0.25), (0.35, 0.75, 0.95), (0.55, 0.9, 0.4)]
    for i in range(count):
        label = (i * len(SHAPES)) // count
        t = i / count * 2 * np.pi
        pose = {"shape": SHAPES[label], "angles": (0.4 * np.sin(t), 3 * t, 0.2),
                "colour": palette[label], "scale": 0.7,
                "offset": (0.2 * np.sin(2 * t), 0.1 * np.cos(3 * t))}
        frame = renderer.frames([pose])                        # on the GPU, top row first
        probs = model(model_input(frame, renderer.size), training=False).numpy()[0]
        guess = int(np.argmax(probs))
        frames.append((frame.numpy()[0], SHAPES[label], SHAPES[guess], float(probs[guess])))
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
    parser.add_argument("--steps", type=int, help="training steps (a new batch each)")
    parser.add_argument("--frames", type=int, help="frames of the animation")
    parser.add_argument("--smoke", action="store_true", help="small and quick (tests)")
    args = parser.parse_args(argv)
    settings = dict(SMOKE if args.smoke else FULL)
    settings.update({k: getattr(args, k) for k in ("steps", "frames")
                     if getattr(args, k) is not None})
    size, batch = settings["size"], settings["batch"]

    # glflow's context first (gf.context() makes it), and all drawing in it: glflow guards
    # the scenes drawn there against llvmpipe's fence race with rasteriser threads (README,
    # Limits); other contexts' draws would go unguarded.
    info = gf.backend_info()
    print(f"glflow on {info['backend']} ({info['renderer']})")
    gf.set_seed(1)
    rng = np.random.default_rng(1)
    renderer = Renderer(size, batch)
    model = classifier()
    start = time.perf_counter()
    loss = train(model, renderer, settings["steps"], rng)
    print(f"classifier: a small CNN trained here, now, on {settings['steps'] * batch} frames "
          f"this script rendered ({settings['steps']} steps of {batch} new frames; no "
          f"pretrained weights), {time.perf_counter() - start:.1f} s; loss at the end "
          f"{loss:.3f}")
    print(f"every batch went from moderngl to the network by from_texture (one GPU pass for "
          f"{batch} frames, no read back)")
    tested = settings["test_batches"] * batch
    print(f"accuracy on {tested} new frames: "
          f"{accuracy(model, renderer, settings['test_batches'], rng):.0%}")

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
