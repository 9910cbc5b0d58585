"""The picture-making examples, each run as a user runs it in --smoke mode, their pictures
checked by content: numpy references written here (direct loops, np.roll, closed-form
geometry), never the example's own numpy code. Some checks also import an example's functions
(the game of life step, the renderer) to run them on known inputs."""
import importlib.util
import re

import numpy as np
import pytest
from PIL import Image, ImageSequence
from sklearn.datasets import load_sample_image

import glflow as gf
from glflow.demo_render import BACKGROUND as DEMO_BACKGROUND, render_picture
from example_runner import ROOT, run_example

# script -> a line its smoke run prints (test_examples.py checks every example is listed)
SMOKE_RUNS = {
    "mandelbrot.py": "counts match numpy: True",
    "game_of_life.py": "wrote",
    "image_filters.py": "all conv2d on the GPU",
    "render_and_classify.py": "went from moderngl to the network by from_texture",
    "style_transfer.py": "fixed random weights",
}


def load_example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name[:-3]}",
                                                  ROOT / "examples" / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def smoke_run(name, tmp_path):
    done = run_example(name, ["--smoke", "--out", str(tmp_path)])
    assert done.returncode == 0, done.stdout + done.stderr
    assert SMOKE_RUNS[name] in done.stdout, done.stdout
    return done.stdout


def read_rgb(path):
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).astype(np.int32)


def gif_frames(path):
    with Image.open(path) as im:
        return [np.asarray(f.convert("RGB")).astype(np.int32) for f in ImageSequence.Iterator(im)]


def to_bytes(values):
    return np.rint(np.clip(values, 0, 1) * 255).astype(np.int32)


# --------------------------------------------------------------------------- mandelbrot

def reference_counts(c, iterations):
    """Escape counts by the textbook loop in numpy float32 (a point that escapes stops)."""
    z = np.zeros_like(c)
    count = np.zeros(c.shape, np.float32)
    for _ in range(iterations):
        inside = (z.real * z.real + z.imag * z.imag) <= np.float32(4)
        re = z.real * z.real - z.imag * z.imag + c.real
        im = (z.real * np.float32(2)) * z.imag + c.imag
        z = np.where(inside, (re + 1j * im).astype(np.complex64), z)
        count += inside
    return count.astype(np.int64)


def test_mandelbrot_picture_equals_numpy_reference(tmp_path):
    out = smoke_run("mandelbrot.py", tmp_path)
    example = load_example("mandelbrot.py")
    w, h, n = (example.SMOKE[k] for k in ("width", "height", "iterations"))
    c_re, c_im = example.grid(w, h)
    counts = reference_counts((c_re + 1j * c_im).astype(np.complex64), n)
    assert counts.min() <= 2 and counts.max() == n       # both points that escape and ones that stay
    picture = read_rgb(tmp_path / "mandelbrot.png")
    assert np.array_equal(picture, example.palette(n)[counts].astype(np.int32))
    assert f"mandelbrot {w}x{h}, {n} iterations" in out


# --------------------------------------------------------------------------- game of life

def reference_life(cells):
    """One generation on a torus by the rules, with np.roll for the neighbours."""
    count = sum(np.roll(np.roll(cells, dy, 0), dx, 1)
                for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0))
    return ((count == 3) | ((cells == 1) & (count == 2))).astype(np.float32)


def board(size, cells, at=(1, 1)):
    b = np.zeros(size, np.float32)
    cells = np.asarray(cells, np.float32)
    b[at[0]:at[0] + cells.shape[0], at[1]:at[1] + cells.shape[1]] = cells
    return b


def test_life_follows_the_rules_on_known_patterns():
    life = load_example("game_of_life.py")
    blinker = board((5, 6), [[1, 1, 1]], at=(2, 1))
    frames = life.run(blinker, 4)
    assert np.array_equal(frames[1], board((5, 6), [[1], [1], [1]], at=(1, 2)))
    assert np.array_equal(frames[2], blinker) and np.array_equal(frames[4], blinker)
    glider = board((9, 8), life.GLIDER)
    frames = life.run(glider, 4)
    assert not np.array_equal(frames[1], glider)
    assert np.array_equal(frames[4], board((9, 8), life.GLIDER, at=(2, 2)))  # one cell down-right
    still = board((6, 6), [[1, 1], [1, 1]], at=(2, 2))
    assert all(np.array_equal(f, still) for f in life.run(still, 2))
    # wraps around: a glider leaving the bottom-right corner comes back top-left
    edge = board((6, 7), life.GLIDER, at=(3, 4))
    frames = life.run(edge, 8)
    assert np.array_equal(frames[8], np.roll(np.roll(edge, 2, 0), 2, 1))


def test_life_matches_numpy_on_a_random_soup():
    life = load_example("game_of_life.py")
    cells = (np.random.default_rng(3).random((13, 11)) < 0.4).astype(np.float32)
    frames = life.run(cells, 6)
    for before, after in zip(frames, frames[1:]):
        assert np.array_equal(after, reference_life(before))


def test_life_gif_follows_the_rules(tmp_path):
    smoke_run("game_of_life.py", tmp_path)
    life = load_example("game_of_life.py")
    frames = gif_frames(tmp_path / "game_of_life.gif")
    cells = [(f[::life.SCALE, ::life.SCALE, 1] > 128).astype(np.float32) for f in frames]
    assert len(cells) == life.SMOKE["steps"] + 1     # no two generations alike to merge
    assert np.array_equal(cells[0], life.starting_board(life.SMOKE["size"]))
    for before, after in zip(cells, cells[1:]):
        assert np.array_equal(after, reference_life(before))
    strip = read_rgb(tmp_path / "game_of_life.png")
    assert strip.shape[0] == life.SMOKE["size"] * life.SCALE


# --------------------------------------------------------------------------- image filters

def correlate(plane, kernel):
    """Direct 2-D correlation of an [H, W] plane with a small odd kernel, the edges mirrored
    outwards (numpy's "reflect" is the edge-excluding mirror), output [H, W]."""
    k = kernel.shape[0] // 2
    padded = np.pad(plane.astype(np.float64), k, mode="reflect")
    h, w = plane.shape
    out = np.zeros((h, w))
    for a in range(kernel.shape[0]):
        for b in range(kernel.shape[1]):
            out += kernel[a, b] * padded[a:a + h, b:b + w]
    return out


def sobel_reference(pixels):
    grey = pixels.astype(np.float64) @ np.array([0.299, 0.587, 0.114])
    sx = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float64)
    return np.sqrt(correlate(grey, sx) ** 2 + correlate(grey, sx.T) ** 2)


@pytest.mark.parametrize("smoke", [True, False])
def test_sobel_equals_numpy_on_the_photograph(smoke):
    filters = load_example("image_filters.py")
    photo = filters.photograph(smoke)           # a crop, or the whole photo at half size
    got = filters.sobel_magnitude(photo).numpy()
    want = sobel_reference(photo.numpy())
    assert got.shape == want.shape == tuple(photo.shape[:2])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=2e-6)  # float32 sums of 18 terms


def test_image_filters_grid_shows_the_filters(tmp_path):
    smoke_run("image_filters.py", tmp_path)
    filters = load_example("image_filters.py")
    photo = load_sample_image("china.jpg")[filters.SMOKE_CROP].astype(np.float64) / 255
    h, w = photo.shape[:2]
    grid = read_rgb(tmp_path / "filters.png")

    def panel(i):
        top, left = filters.panel_origin(i, h, w)
        return grid[top:top + h, left:left + w]
    x = np.arange(7) - 3
    g = np.exp(-x ** 2 / 8.0)
    gaussian = np.outer(g, g) / np.outer(g, g).sum()
    sharpen = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float64)
    blurred = np.stack([correlate(photo[..., c], gaussian) for c in range(3)], -1)
    sharp = np.stack([correlate(photo[..., c], sharpen) for c in range(3)], -1)
    edges = sobel_reference(photo)
    edges = np.repeat((edges / edges.max())[..., None], 3, -1)
    assert np.array_equal(panel(0), to_bytes(photo))
    # float32 on the GPU vs float64 here: a value near a rounding boundary may land one off
    for i, want in ((1, blurred), (2, edges), (3, sharp)):
        assert np.abs(panel(i) - to_bytes(want)).max() <= 1, i
    assert panel(2).std() > 10        # edges, not a flat panel


# --------------------------------------------------------------------------- render and classify

def background_mask(frame, background):
    return np.abs(frame[..., :3] - np.asarray(background)).max(axis=-1) > 0.02


def disk_radius_pixels(radius, distance, fov_degrees, size):
    """Where a sphere's silhouette ends on screen: its outline's angular radius asin(r / d),
    through a pinhole camera whose half-height is tan(fov / 2), in pixels from the centre."""
    ndc = np.tan(np.arcsin(radius / distance)) / np.tan(np.radians(fov_degrees) / 2)
    return ndc * size / 2


def iou(a, b):
    return (a & b).sum() / (a | b).sum()


def test_rendered_frames_show_the_shape_where_the_camera_puts_it():
    scene = load_example("render_and_classify.py")
    size = 64
    renderer = scene.Renderer(size, batch=3)
    try:
        # one atlas of two frames: each lands in its own [size, size] square
        frame, cube = renderer.frames([
            {"shape": "sphere", "angles": (0, 0, 0), "colour": (1.0, 0.5, 0.25)},
            {"shape": "cube", "angles": (0, 0, 0), "colour": (0.2, 0.8, 0.4), "scale": 0.5},
        ]).numpy()
    finally:
        renderer.release()
    yy, xx = np.mgrid[0:size, 0:size] + 0.5 - size / 2
    mask = background_mask(frame, scene.BACKGROUND)
    r = disk_radius_pixels(0.8, scene.CAMERA_DISTANCE, scene.FIELD_OF_VIEW, size)
    assert iou(mask, np.hypot(xx, yy) <= r) > 0.9
    # the middle faces the camera: lit by the diffuse term of normal (0, 0, 1)
    light = np.array([-0.4, 0.7, 1.0]) / np.linalg.norm([-0.4, 0.7, 1.0])
    shade = 0.3 + 0.7 * light[2]
    centre = frame[size // 2 - 1:size // 2 + 1, size // 2 - 1:size // 2 + 1, :3].mean((0, 1))
    np.testing.assert_allclose(centre, np.array([1.0, 0.5, 0.25]) * shade, atol=0.03)
    assert np.array_equal(to_bytes(frame[0, 0]), to_bytes(np.array([*scene.BACKGROUND, 1.0])))
    # a cube facing the camera: a square, its front face at distance d - half its side
    half = 0.6 * 0.5
    square = half / (scene.CAMERA_DISTANCE - half) / np.tan(np.radians(scene.FIELD_OF_VIEW) / 2)
    half_pixels = square * size / 2
    expected = (np.abs(xx) <= half_pixels) & (np.abs(yy) <= half_pixels)
    assert iou(background_mask(cube, scene.BACKGROUND), expected) > 0.9


def test_render_and_classify_gif_carries_the_rendered_scene(tmp_path):
    out = smoke_run("render_and_classify.py", tmp_path)
    scene = load_example("render_and_classify.py")
    assert "a small CNN trained here, now" in out and "no pretrained" in out
    frames = gif_frames(tmp_path / "render_and_classify.gif")
    assert len(frames) == scene.SMOKE["frames"]
    background = to_bytes(np.array(scene.BACKGROUND))
    for frame in frames:
        h, w = frame.shape[:2]
        # the shape: many pixels in the middle of the frame are not the background (GIF
        # palettes may move a colour a little, hence the tolerance)
        middle = frame[h // 4:3 * h // 4, w // 4:3 * w // 4]
        shape_pixels = (np.abs(middle - background).max(-1) > 12).mean()
        assert shape_pixels > 0.15
        assert (np.abs(frame[-4:, -4:] - background).max(-1) <= 12).all()   # corner: background
    assert read_rgb(tmp_path / "render_and_classify.png").shape[0] == frames[0].shape[0]


def test_the_network_sees_the_frames_pooled():
    scene = load_example("render_and_classify.py")
    frames = np.random.default_rng(4).random((3, 64, 64, 4)).astype(np.float32)
    got = scene.model_input(gf.tensor(frames), 64).numpy()
    want = frames.reshape(3, 32, 2, 32, 2, 4).mean(axis=(2, 4))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


# --------------------------------------------------------------------------- style transfer

def test_style_transfer_lowers_its_loss(tmp_path):
    out = smoke_run("style_transfer.py", tmp_path)
    first, last = map(float, re.search(r"loss: ([\d.]+) -> ([\d.]+)", out).groups())
    assert last < 0.8 * first, out
    style = load_example("style_transfer.py")
    picture = read_rgb(tmp_path / "style_transfer.png")
    d = style.SMOKE["downscale"]
    photo = load_sample_image("china.jpg").astype(np.float64) / 255
    h, w = photo.shape[0] // d, photo.shape[1] // d
    shrunk = photo[:h * d, :w * d].reshape(h, d, w, d, 3).mean(axis=(1, 3))
    content, result = picture[:, :w], picture[:, -w:]
    assert picture.shape[0] == h
    assert np.abs(content - to_bytes(shrunk)).max() <= 1
    assert np.abs(result - content).mean() > 5       # the picture moved toward the style


def test_gram_matrix_equals_numpy():
    style = load_example("style_transfer.py")
    f = np.random.default_rng(5).standard_normal((1, 5, 7, 8)).astype(np.float32)
    flat = f.reshape(35, 8).astype(np.float64)
    np.testing.assert_allclose(style.gram(gf.tensor(f)).numpy(), flat.T @ flat / 35,
                               rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------- glflow demo

def test_demo_picture_shows_an_outlined_cube(tmp_path):
    """glflow.demo_render: the picture `glflow demo` writes (moderngl -> from_texture ->
    conv2d outline -> PNG)."""
    path = render_picture(str(tmp_path), size=64)
    assert path == str(tmp_path / "glflow_demo_cube.png")
    picture = read_rgb(path)
    assert picture.shape == (64, 64, 3)
    background = to_bytes(np.array(DEMO_BACKGROUND))
    assert (np.abs(picture[:6, :6] - background).max(-1) <= 1).all()   # a corner: background
    middle = picture[16:48, 16:48]
    orange = (middle[..., 0] > middle[..., 1]) & (middle[..., 1] > middle[..., 2])
    assert orange.mean() > 0.6                                         # the cube's faces
    outline = (picture[..., 2] > picture[..., 0] + 40)                 # light blue edges
    assert 0.02 < outline.mean() < 0.3
