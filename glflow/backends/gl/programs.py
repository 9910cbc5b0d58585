"""ProgramCache: compile each distinct fragment shader once, LRU-bounded, counting compiles.

Shapes and sizes are uniforms, so the cache key is the generated source itself: one program per
op/rank/access pattern. moderngl ties a vertex array to one program, so each cached program
carries its own attribute-less VAO (3 vertices from gl_VertexID); nothing is allocated per draw.
"""
import collections
import struct
from pathlib import Path

from ...runtime import debug

VERSION_CORE = "#version 330 core\n"
VERSION_ES = "#version 300 es\n"


def shader_dir():
    """`shaders/` ships inside the wheel as glflow/shaders; in a source tree it is top-level."""
    here = Path(__file__).resolve().parents[2]   # .../glflow
    for candidate in (here / "shaders", here.parent / "shaders"):
        if (candidate / "templates").is_dir():
            return candidate
    raise FileNotFoundError("glflow: cannot find the shaders/ folder next to the package")


_sources = {}


def load(name):
    """Text of shaders/<name> (e.g. 'relu.glsl', 'templates/elementwise.frag'), cached."""
    text = _sources.get(name)
    if text is None:
        text = (shader_dir() / name).read_text()
        _sources[name] = text
    return text


def header(exact, image_loads):
    """#version line and what follows it: GLFLOW_EXACT where the GL has `precise`, and the
    image load/store extension where elementwise passes read inputs through image units
    (context.py, "Image loads")."""
    text = VERSION_CORE
    if image_loads:
        text += "#extension GL_ARB_shader_image_load_store : require\n"
    if exact:
        text += "#define GLFLOW_EXACT\n"
    return text


class CachedProgram:
    __slots__ = ("program", "vao", "uniforms", "values", "launch_key")

    def __init__(self, program, vao):
        self.program = program
        self.vao = vao
        self.uniforms = {}
        self.values = {}
        # Whoever sets every uniform of a launch may remember it here (backend.elementwise
        # does); any uniform that really changes clears it, so a stale key can never skip
        # needed sets.
        self.launch_key = None

    def set(self, name, value):
        """Set a uniform, skipping the GL call when the value is unchanged."""
        if self.values.get(name) == value:
            return
        self.launch_key = None
        u = self.uniforms.get(name)
        if u is None:
            u = self.program.get(name, None)
            if u is None:  # optimised away by the compiler: nothing to set
                self.values[name] = value
                return
            self.uniforms[name] = u
        if isinstance(value, tuple):  # int or float vectors, arrays: raw write, any length
            code = "f" if isinstance(value[0], float) else "i"
            u.write(struct.pack(f"{len(value)}{code}", *value))
        else:
            u.value = value
        self.values[name] = value


class ProgramCache:
    def __init__(self, ctx, capacity=256, image_loads=False):
        self.ctx = ctx
        self.capacity = capacity
        self._programs = collections.OrderedDict()
        self.compiles = 0
        self.vertex_shader = VERSION_CORE + load("templates/fullscreen.vert")
        # GLFLOW_EXACT: the GL has GLSL's `precise` (templates/common.glsl says why it matters)
        self.exact = "GL_ARB_gpu_shader5" in ctx.extensions
        self.version = header(self.exact, image_loads)

    def get(self, source, samplers=()):
        """The program for this fragment source (without #version), compiling it on first use."""
        cached = self._programs.get(source)
        if cached is not None:
            self._programs.move_to_end(source)
            return cached
        if debug.level >= 3:
            print("[glflow] compiling:\n" + source)
        program = self.ctx.program(vertex_shader=self.vertex_shader,
                                   fragment_shader=self.version + source)
        self.compiles += 1
        if debug.level >= 1:
            print(f"[glflow] compile #{self.compiles}")
        cached = CachedProgram(program, self.ctx.vertex_array(program, []))
        for unit, name in enumerate(samplers):
            cached.set(name, unit)
        self._programs[source] = cached
        while len(self._programs) > self.capacity:
            _, old = self._programs.popitem(last=False)
            old.vao.release()
            old.program.release()
        return cached

    def __len__(self):
        return len(self._programs)


def source(shader, defines=()):
    """Fragment source (no #version) of shaders/<shader> under code-path `defines` (never
    sizes: those are uniforms)."""
    head = "".join(f"#define {d}\n" for d in defines)
    return head + load("templates/common.glsl") + "\n" + load(shader)


def program(backend, shader, defines, samplers):
    return backend.programs.get(source(shader, defines), samplers)


def set_all(prog, values):
    for name, value in values.items():
        prog.set(name, value)
