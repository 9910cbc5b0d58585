"""Image style transfer on the GPU: optimise a picture with gradients so that its convolutional
features match one photograph's content and another's style (Gram matrices of the features),
the running example of the TensorFlow programming chapter this project follows.

The network: a VGG-style stack of 3x3 convolutions, ReLUs and average pools with FIXED RANDOM
weights (seeded), not a trained VGG: no pretrained weights are downloaded. Random convolutional
features are known to carry texture and style well enough for synthesis (Ustyuzhaninov et al.,
"Texture synthesis using shallow convolutional networks with random filters", 2016; He, Wang and
Hopcroft, "A powerful generative model using random weights for the deep image representation",
2016); the result is rougher than with a trained VGG. Content: scikit-learn's temple
photograph; style: its flower photograph (both ship with the package).

    glflow run examples/style_transfer.py [--out DIR] [--steps N] [--downscale N]
    glflow run examples/style_transfer.py --smoke          (small and quick: what the tests run)
"""
import argparse
import os
import time

import numpy as np

import glflow as gf

WIDTHS = [32, 32, 64, 64, 128]         # output channels of the five conv layers
POOL_AFTER = {1, 3}                    # 2x2 average pool after these layers
CONTENT_LAYER = 3
STYLE_WEIGHT = 3.0
SMOOTHNESS_WEIGHT = 0.05               # total variation: random features leave pixel noise
SMOKE = {"steps": 12, "downscale": 16}
FULL = {"steps": 100, "downscale": 5}


def photographs(downscale):
    """Content (temple) and style (flower) photographs, shrunk by `downscale` on the GPU
    (means of downscale x downscale pixels), as float32 [H, W, 3] tensors in [0, 1]."""
    from sklearn.datasets import load_sample_image   # ships the JPEGs: no download

    def load(name):
        pixels = gf.tensor(load_sample_image(name).astype(np.float32) / 255)[None]
        return gf.avg_pool(pixels, downscale, downscale, "valid")[0]
    return load("china.jpg"), load("flower.jpg")


def random_vgg(seed=0):
    """[(filters [3, 3, Cin, Cout], bias)] with He-scaled random normal weights. The input has
    four channels (RGB and a zero), so every layer's channels are whole RGBA32F texels: the
    convolutions and their input gradients take glflow's direct kernel (no im2col copy)."""
    rng = np.random.default_rng(seed)
    layers, cin = [], 4
    for cout in WIDTHS:
        w = rng.standard_normal((3, 3, cin, cout)) * np.sqrt(2.0 / (9 * cin))
        layers.append((gf.tensor(w.astype(np.float32)), gf.zeros([cout])))
        cin = cout
    return layers


def features(image, network):
    """The activations of every layer for a [H, W, 3] picture in [0, 1]."""
    x = gf.concat([image - 0.5, gf.zeros(image.shape[:2] + [1])], axis=2)[None]
    out = []
    for i, (w, b) in enumerate(network):
        x = gf.relu(gf.conv2d(x, w, 1, "same") + b)
        out.append(x)
        if i in POOL_AFTER:
            x = gf.avg_pool(x, 2, 2, "valid")
    return out


def gram(feature):
    """Channel correlations of one layer: [C, C] = F^T F / pixels, with F [pixels, C]."""
    _, h, w, c = feature.shape
    flat = gf.reshape(feature, [h * w, c])
    return gf.matmul(flat, flat, transpose_a=True) / float(h * w)


def total_variation(image):
    """Mean squared difference of neighbouring pixels, down and across."""
    return (gf.mean(gf.square(image[1:] - image[:-1]))
            + gf.mean(gf.square(image[:, 1:] - image[:, :-1])))


def losses(image, network, content_target, style_targets):
    """(content loss, style loss): squared feature / Gram differences, each normalised by its
    target's size, so the two terms are comparable whatever the layer."""
    acts = features(image, network)
    target = content_target
    content = gf.sum(gf.square(acts[CONTENT_LAYER] - target)) / gf.sum(gf.square(target))
    style = 0.0
    for act, g in zip(acts, style_targets):
        style = style + gf.sum(gf.square(gram(act) - g)) / gf.sum(gf.square(g))
    return content, style / len(style_targets)


def transfer(content_image, style_image, steps, network, report=None):
    """Adam on the pixels, starting from the content photograph, minimising content loss +
    STYLE_WEIGHT * style loss + SMOOTHNESS_WEIGHT * total variation (relative to the content
    photograph's); returns (picture, [total loss per step])."""
    content_target = gf.keep(features(content_image, network)[CONTENT_LAYER])
    style_targets = [gf.keep(gram(a)) for a in features(style_image, network)]
    smoothness = gf.keep(total_variation(content_image))
    picture = gf.Variable(content_image)
    optimizer = gf.optimizers.Adam(0.02)
    history = []
    for step in range(steps):
        def one_step():
            with gf.GradientTape() as tape:
                content, style = losses(picture, network, content_target, style_targets)
                total = (content + STYLE_WEIGHT * style
                         + SMOOTHNESS_WEIGHT * total_variation(picture) / smoothness)
            (grad,) = tape.gradient(total, [picture])
            optimizer.apply_gradients([(grad, picture)])
            picture.assign(gf.clip_by_value(picture, 0.0, 1.0))
            return total
        history.append(float(gf.tidy(one_step).item()))
        if report and (step % 25 == 0 or step == steps - 1):
            report(step, history[-1])
    return picture, history


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="glflow_pictures", help="folder for style_transfer.png")
    parser.add_argument("--steps", type=int, help="optimisation steps")
    parser.add_argument("--downscale", type=int, help="shrink the 640x427 photographs by this")
    parser.add_argument("--smoke", action="store_true", help="small and quick (tests)")
    args = parser.parse_args(argv)
    settings = dict(SMOKE if args.smoke else FULL)
    settings.update({k: getattr(args, k) for k in settings if getattr(args, k) is not None})

    info = gf.backend_info()
    print(f"glflow on {info['backend']} ({info['renderer']})")
    print("network: VGG-style, 5 conv layers with fixed random weights (seeded; no pretrained "
          "weights are downloaded)")
    content, style = photographs(settings["downscale"])
    height, width = content.shape[:2]
    network = random_vgg()
    start = time.perf_counter()
    picture, history = transfer(content, style, settings["steps"], network,
                                report=lambda s, v: print(f"  step {s:4d}: loss {v:.4f}"))
    print(f"{settings['steps']} Adam steps on a {width}x{height} picture in "
          f"{time.perf_counter() - start:.1f} s, gradients through the network on the GPU")
    print(f"loss: {history[0]:.4f} -> {history[-1]:.4f}")
    gap = np.ones((height, 3, 3), np.float32)
    panels = [content.numpy(), gap, style.numpy(), gap, picture.numpy()]
    os.makedirs(args.out, exist_ok=True)
    path = gf.io.write_image(os.path.join(args.out, "style_transfer.png"),
                             np.concatenate(panels, axis=1))
    print(f"wrote {path} (content | style | result)")


if __name__ == "__main__":
    main()
