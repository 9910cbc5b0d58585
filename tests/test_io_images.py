"""gf.io image files: PNG/JPEG through Pillow, animated GIFs, atomic writes, clear errors.
Files are checked by reading them back with Pillow itself, not with glflow's reader."""
import os

import numpy as np
import pytest
from PIL import Image, ImageSequence

import glflow as gf
from glflow.io.images import write_atomic


def pixels(rng, height, width, channels):
    return rng.integers(0, 256, (height, width, channels)).astype(np.uint8)


@pytest.mark.parametrize("channels", [1, 2, 3, 4])
def test_png_round_trip_is_exact(tmp_path, channels):
    rng = np.random.default_rng(channels)
    data = pixels(rng, 5, 7, channels)
    path = gf.io.write_image(tmp_path / "a.png", gf.tensor(data.astype(np.float32) / 255))
    with Image.open(path) as im:
        stored = np.asarray(im)
        assert im.mode == {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[channels]
    assert np.array_equal(stored.reshape(data.shape), data)
    back = gf.io.read_image(path)
    assert back.shape == [5, 7, channels] and back.dtype == "float32"
    assert np.array_equal(back.numpy(), data.astype(np.float32) / np.float32(255))


def test_integer_and_bool_images_and_two_dimensional_ones(tmp_path):
    data = pixels(np.random.default_rng(1), 4, 6, 1)[..., 0]
    gf.io.write_image(tmp_path / "gray.png", data.astype(np.int32))
    with Image.open(tmp_path / "gray.png") as im:
        assert np.array_equal(np.asarray(im), data)
    mask = data > 128
    gf.io.write_image(tmp_path / "mask.png", mask)
    with Image.open(tmp_path / "mask.png") as im:
        assert np.array_equal(np.asarray(im), mask.astype(np.uint8) * 255)


def test_float_values_clip_and_round_to_nearest(tmp_path):
    values = np.array([[-0.5, 0.0, 0.2, 1.0 / 255 * 0.49, 1.0 / 255 * 0.51, 1.0, 7.0]],
                      np.float32)
    gf.io.write_image(tmp_path / "r.png", values)
    with Image.open(tmp_path / "r.png") as im:
        assert np.asarray(im).tolist() == [[0, 0, 51, 0, 1, 255, 255]]


def test_jpeg_is_close_and_read_converts_channels(tmp_path):
    y, x = np.mgrid[0:32, 0:48]
    smooth = np.stack([x / 47, y / 31, (x + y) / 78], -1).astype(np.float32)
    path = gf.io.write_image(tmp_path / "s.jpg", smooth, quality=95)
    back = gf.io.read_image(path)
    assert back.shape == [32, 48, 3]
    assert float(np.abs(back.numpy() - smooth).mean()) < 0.01
    gray = gf.io.read_image(path, channels=1).numpy()
    with Image.open(path) as im:
        want = np.asarray(im.convert("L"), np.float32)[..., None] / np.float32(255)
    assert np.array_equal(gray, want)


def test_sixteen_bit_gray_keeps_its_precision(tmp_path):
    data = np.array([[0, 1, 257, 65535]], np.uint16)
    Image.fromarray(data).save(tmp_path / "deep.png")
    got = gf.io.read_image(tmp_path / "deep.png").numpy()
    assert np.array_equal(got[..., 0], data.astype(np.float32) / np.float32(65535))


def test_writes_are_atomic(tmp_path):
    target = tmp_path / "keep.png"
    gf.io.write_image(target, np.zeros((2, 2, 3), np.uint8))
    before = target.read_bytes()
    with pytest.raises(ValueError, match="write_image: image of shape \\[2, 2, 3\\] holds NaN"):
        gf.io.write_image(target, np.full((2, 2, 3), np.nan, np.float32))

    class Boom(Exception):
        pass

    def failing_save(f):
        f.write(b"half an image")
        raise Boom()
    with pytest.raises(Boom):
        write_atomic("test", target, failing_save)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.png"]   # no temporary file left behind


def test_written_files_get_the_usual_permissions(tmp_path):
    """Not mkstemp's owner-only 0o600: what open() would have made."""
    with open(tmp_path / "plain", "wb"):
        pass
    gf.io.write_image(tmp_path / "a.png", np.zeros((2, 2)))
    gf.io.write_gif(tmp_path / "a.gif", [np.zeros((2, 2))])
    want = os.stat(tmp_path / "plain").st_mode & 0o777
    assert os.stat(tmp_path / "a.png").st_mode & 0o777 == want
    assert os.stat(tmp_path / "a.gif").st_mode & 0o777 == want


@pytest.mark.parametrize("args, error, message", [
    (("x.bmp", np.zeros((2, 2))), ValueError, "unknown image extension '.bmp'"),
    (("x.jpg", np.zeros((2, 2, 4))), ValueError, "JPEG has no alpha channel"),
    (("x.png", np.zeros((2, 2, 5))), ValueError, r"1-4 channels and no empty side, got shape \[2, 2, 5\]"),
    (("x.png", np.zeros((0, 2, 3))), ValueError, r"got shape \[0, 2, 3\]"),
    (("x.png", np.zeros((2,))), ValueError, r"got shape \[2\]"),
    (("x.png", np.full((2, 2), 256)), ValueError, "integer image values must be 0..255, got 256..256"),
    (("x.gif", np.zeros((2, 2))), ValueError, "write GIF files with write_gif"),
    (("missing/x.png", np.zeros((2, 2))), FileNotFoundError, "folder .*missing' does not exist"),
])
def test_write_image_refuses_bad_input(tmp_path, args, error, message):
    path, image = args
    with pytest.raises(error, match="write_image: .*" + message):
        gf.io.write_image(tmp_path / path, image)
    assert os.listdir(tmp_path) == []


def test_gif_holds_every_frame_in_order(tmp_path):
    rng = np.random.default_rng(2)
    frames = [(rng.random((6, 9)) < 0.5).astype(np.float32) for _ in range(5)]
    path = gf.io.write_gif(tmp_path / "life.gif", gf.tensor(np.stack(frames)), fps=20)
    with Image.open(path) as im:
        assert im.n_frames == 5
        assert im.info["duration"] == 50 and im.info["loop"] == 0
        stored = [np.asarray(f.convert("L")) for f in ImageSequence.Iterator(im)]
    for want, got in zip(frames, stored):
        assert np.array_equal(got, want.astype(np.uint8) * 255)


def test_gif_colour_frames_keep_few_colours_exactly(tmp_path):
    palette = np.array([[255, 0, 0], [0, 128, 255], [20, 200, 20], [0, 0, 0]], np.uint8)
    rng = np.random.default_rng(3)
    frames = [palette[rng.integers(0, 4, (8, 8))] for _ in range(3)]
    frames = [np.concatenate([f, np.full((8, 8, 1), 255, np.uint8)], -1) for f in frames]
    gf.io.write_gif(tmp_path / "c.gif", frames, fps=10)
    with Image.open(tmp_path / "c.gif") as im:
        stored = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]
    assert len(stored) == 3
    for want, got in zip(frames, stored):
        assert np.array_equal(got, want[..., :3])


@pytest.mark.parametrize("args, message", [
    (("a.png", [np.zeros((2, 2))]), "path must end in .gif"),
    (("a.gif", []), "no frames"),
    (("a.gif", [np.zeros((2, 2)), np.zeros((3, 2))]), r"frames differ in size: \[\[2, 2\], \[3, 2\]\]"),
    (("a.gif", [np.zeros((2, 2))], 0), "fps must be 1-100"),
    (("a.gif", [np.zeros((2, 2, 7))]), r"frame 0 must be \[height, width\]"),
])
def test_write_gif_refuses_bad_input(tmp_path, args, message):
    path, frames, *fps = args
    with pytest.raises(ValueError, match="write_gif: .*" + message):
        gf.io.write_gif(tmp_path / path, frames, *fps)
    assert os.listdir(tmp_path) == []


def test_read_image_refuses_bad_channels(tmp_path):
    with pytest.raises(ValueError, match="read_image: channels must be None or 1-4, got 5"):
        gf.io.read_image(tmp_path / "x.png", channels=5)
