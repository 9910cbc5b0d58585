"""Conway's game of life on the GPU: each generation is one conv2d (a 3x3 filter of ones with a
zero centre counts every cell's live neighbours) and a few elementwise ops (the rules), on a
board that wraps around at its edges. The generations become an animated GIF, plus a PNG strip
of a few of them.

    glflow run examples/game_of_life.py [--out DIR] [--size N] [--steps N]
    glflow run examples/game_of_life.py --smoke          (small and quick: what the tests run)

The board is a [1, H, W, 1] float32 tensor of 0s and 1s (NHWC, the layout conv2d takes).
Wrapping: one row and column from the opposite edges are joined on (concat) before a "valid"
convolution, so gliders leave on one side and come back on the other.
"""
import argparse
import os
import time

import numpy as np

import glflow as gf

SMOKE = {"size": 24, "steps": 12}
FULL = {"size": 96, "steps": 120}
SCALE = 3                     # pixels per cell in the pictures
GLIDER = [[0, 1, 0],
          [0, 0, 1],
          [1, 1, 1]]

NEIGHBOURS = np.ones((3, 3, 1, 1), np.float32)
NEIGHBOURS[1, 1] = 0.0        # a cell is not its own neighbour


def wrapped(board):
    """The board with one cell of the opposite edge joined on every side (a torus)."""
    rows = gf.concat([board[:, -1:], board, board[:, :1]], axis=1)
    return gf.concat([rows[:, :, -1:], rows, rows[:, :, :1]], axis=2)


def life_step(board, neighbours):
    """One generation: a live cell with 2 or 3 live neighbours lives on, a dead cell with
    exactly 3 comes alive, every other cell is dead next."""
    count = gf.conv2d(wrapped(board), neighbours, 1, "valid")
    born = gf.equal(count, 3.0)
    survives = gf.logical_and(gf.equal(count, 2.0), gf.equal(board, 1.0))
    return gf.cast(gf.logical_or(born, survives), "float32")


def run(board, steps):
    """[steps + 1] host frames [H, W] of the generations, starting with `board` ([H, W])."""
    neighbours = gf.tensor(NEIGHBOURS)
    state = gf.tensor(np.asarray(board, np.float32)[None, :, :, None])
    frames = [np.asarray(board, np.float32)]
    for _ in range(steps):
        state = life_step(state, neighbours)
        frames.append(state.numpy()[0, :, :, 0])   # the GIF is written on the host
    return frames


def starting_board(size, seed=7):
    """A random soup in the middle (a third of the cells alive) and a glider in a corner."""
    rng = np.random.default_rng(seed)
    board = np.zeros((size, size), np.float32)
    lo, hi = size // 4, size - size // 4
    board[lo:hi, lo:hi] = rng.random((hi - lo, hi - lo)) < 0.33
    board[1:4, 1:4] = GLIDER
    return board


def picture(cells, scale=SCALE):
    """A board as an image: live cells light on a dark blue ground, each cell scale^2 pixels."""
    big = np.kron(cells, np.ones((scale, scale), np.float32))
    ground, live = np.array([0.06, 0.08, 0.16]), np.array([0.55, 0.95, 0.65])
    return ground + big[..., None] * (live - ground)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="glflow_pictures", help="folder for the pictures")
    parser.add_argument("--size", type=int, help="cells per side")
    parser.add_argument("--steps", type=int, help="generations")
    parser.add_argument("--smoke", action="store_true", help="small and quick (tests)")
    args = parser.parse_args(argv)
    size = args.size or (SMOKE if args.smoke else FULL)["size"]
    steps = args.steps or (SMOKE if args.smoke else FULL)["steps"]

    info = gf.backend_info()
    print(f"glflow on {info['backend']} ({info['renderer']})")
    board = starting_board(size)
    start = time.perf_counter()
    frames = run(board, steps)
    seconds = time.perf_counter() - start
    print(f"life on a {size}x{size} torus: {steps} generations in {seconds:.2f} s "
          f"(conv2d + elementwise on the GPU, each generation read back for the GIF)")
    print(f"live cells: {int(frames[0].sum())} at the start, {int(frames[-1].sum())} "
          f"after {steps} generations")
    os.makedirs(args.out, exist_ok=True)
    gif = gf.io.write_gif(os.path.join(args.out, "game_of_life.gif"),
                          [picture(f) for f in frames], fps=12)
    print(f"wrote {gif}")
    shown = [frames[i] for i in np.linspace(0, steps, 4).astype(int)]
    gap = np.ones((size * SCALE, 2, 3))
    strip = np.concatenate(sum([[picture(f), gap] for f in shown], [])[:-1], axis=1)
    png = gf.io.write_image(os.path.join(args.out, "game_of_life.png"), strip)
    print(f"wrote {png}")


if __name__ == "__main__":
    main()
