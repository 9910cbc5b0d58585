"""Classic image filters as convolutions on the GPU, on a real photograph (scikit-learn's sample
picture of a Chinese temple): a Gaussian blur, Sobel edges and a sharpen, each one conv2d,
written as a before/after grid PNG.

    glflow run examples/image_filters.py [--out DIR] [--downscale N]
    glflow run examples/image_filters.py --smoke          (a small crop: what the tests run)

Edges are mirrored outwards before each filter (pad "reflect"), so borders are not darkened by
zeros; every output has the photograph's size.
"""
import argparse
import os
import time

import numpy as np

import glflow as gf

GAP = 4          # pixels of white between panels
HEADER = 16      # pixels above each panel for its name
SMOKE_CROP = (slice(150, 198), slice(300, 364))   # 48 x 64 pixels of the temple roof
LUMA = [0.299, 0.587, 0.114]                       # Rec. 601 grey from RGB
SOBEL_X = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
SHARPEN = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32)


def photograph(smoke, downscale=2):
    """The temple photo (640x427) as float32 [H, W, 3] in [0, 1]: a crop (smoke), or shrunk
    by `downscale` (means of downscale x downscale pixels, on the GPU)."""
    from sklearn.datasets import load_sample_image   # ships the JPEG: no download
    pixels = load_sample_image("china.jpg").astype(np.float32) / 255
    if smoke:
        return gf.tensor(pixels[SMOKE_CROP])
    return gf.avg_pool(gf.tensor(pixels)[None], downscale, downscale, "valid")[0]


def gaussian(size=7, sigma=2.0):
    x = np.arange(size) - (size - 1) / 2
    g = np.exp(-x ** 2 / (2 * sigma ** 2))
    kernel = np.outer(g, g)
    return (kernel / kernel.sum()).astype(np.float32)


def mirrored(image, border):
    """[1, H + 2b, W + 2b, C]: the picture with its edges mirrored outwards by `border`."""
    b = border
    return gf.pad(image[None], [[0, 0], [b, b], [b, b], [0, 0]], mode="reflect")


def rgba(image):
    """[H, W, 4]: the picture with a zero fourth channel. Filters over 4 channels are whole
    RGBA32F texels, which glflow's direct convolution reads in place (3 channels would take
    im2col + matmul, which first copies every 7x7 patch)."""
    return gf.concat([image, gf.zeros(image.shape[:2] + [1])], axis=2)


def per_channel(image, kernel):
    """Filter each colour channel with the same 2-D kernel: one conv2d whose [K, K, 4, 4]
    filters hold the kernel on their diagonal (channel c in, channel c out)."""
    k = kernel.shape[0]
    filters = np.zeros((k, k, 4, 4), np.float32)
    for c in range(3):
        filters[:, :, c, c] = kernel
    return gf.conv2d(mirrored(rgba(image), k // 2), gf.tensor(filters), 1, "valid")[0, :, :, :3]


def blur(image):
    return per_channel(image, gaussian())


def sharpen(image):
    return gf.clip_by_value(per_channel(image, SHARPEN), 0.0, 1.0)


def sobel_magnitude(image):
    """|gradient| of the picture's grey levels, [H, W]: one conv2d whose two output channels
    are the Sobel x and y filters applied to the grey image (the grey weights folded into the
    filters: channel c of the picture meets LUMA[c] * Sobel)."""
    filters = np.zeros((3, 3, 4, 4), np.float32)
    for c in range(3):
        filters[:, :, c, 0] = LUMA[c] * SOBEL_X
        filters[:, :, c, 1] = LUMA[c] * SOBEL_X.T
    gradient = gf.conv2d(mirrored(rgba(image), 1), gf.tensor(filters), 1, "valid")[0, :, :, :2]
    return gf.sqrt(gf.sum(gradient * gradient, axis=2))


def edges_picture(magnitude):
    """Edges as a grey RGB picture, the strongest white."""
    scaled = magnitude / gf.maximum(gf.max(magnitude), 1e-6)
    return gf.stack([scaled, scaled, scaled], axis=2)


def grid(panels, names):
    """Panels [H, W, 3] in a 2 x 2 grid with a name above each, as a uint8 array."""
    from PIL import Image, ImageDraw
    h, w = panels[0].shape[:2]
    cell_h, cell_w = HEADER + h, w
    out = np.full((2 * cell_h + GAP, 2 * cell_w + GAP, 3), 255, np.uint8)
    for i, panel in enumerate(panels):
        top, left = (i // 2) * (cell_h + GAP), (i % 2) * (cell_w + GAP)
        out[top + HEADER:top + cell_h, left:left + w] = np.rint(np.clip(panel, 0, 1) * 255)
    picture = Image.fromarray(out)
    draw = ImageDraw.Draw(picture)
    for i, name in enumerate(names):
        draw.text(((i % 2) * (cell_w + GAP) + 2, (i // 2) * (cell_h + GAP) + 2), name,
                  fill=(0, 0, 0))
    return np.asarray(picture)


def panel_origin(index, height, width):
    """(row, column) of panel `index`'s top-left pixel in the grid."""
    return (index // 2) * (HEADER + height + GAP) + HEADER, (index % 2) * (width + GAP)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="glflow_pictures", help="folder for filters.png")
    parser.add_argument("--downscale", type=int, default=2,
                        help="shrink the 640x427 photograph by this factor (default 2)")
    parser.add_argument("--smoke", action="store_true", help="a small crop (tests)")
    args = parser.parse_args(argv)
    if args.downscale < 1:
        parser.error("--downscale must be at least 1")

    info = gf.backend_info()
    print(f"glflow on {info['backend']} ({info['renderer']})")
    image = photograph(args.smoke, args.downscale)
    height, width = image.shape[:2]
    start = time.perf_counter()
    filtered = [blur(image), edges_picture(sobel_magnitude(image)), sharpen(image)]
    panels = [image.numpy()] + [f.numpy() for f in filtered]
    print(f"photograph {width}x{height}: blur (7x7 Gaussian), Sobel edges, sharpen in "
          f"{time.perf_counter() - start:.2f} s, all conv2d on the GPU")
    os.makedirs(args.out, exist_ok=True)
    picture = grid(panels, ["photograph", "Gaussian blur", "Sobel edges", "sharpened"])
    path = gf.io.write_image(os.path.join(args.out, "filters.png"), picture)
    print(f"wrote {path} (2 x 2 grid of {width}x{height} panels)")


if __name__ == "__main__":
    main()
