"""Layer classes by name, for rebuilding models from configs.

Every Layer subclass defined inside glflow registers itself by class name (so conv, recurrent
or normalisation layers added later need no edit here). User classes are found through
`custom_objects={...}` at load time, `with custom_object_scope({...}):`, or
`@register_serializable()`; nothing is imported by name from a file.
"""
import threading

_registry = {}
_scopes = threading.local()


def register_builtin(cls):
    _registry[cls.__name__] = cls


def register_serializable(name=None):
    """Class decorator: make a custom layer/model/loss loadable by `name` (default: its
    class name) without passing custom_objects."""
    def decorate(cls):
        _registry[name or cls.__name__] = cls
        return cls
    return decorate


class custom_object_scope:
    """Within the block, `load_model` and `from_config` also see these names."""

    def __init__(self, objects):
        self.objects = dict(objects or {})

    def __enter__(self):
        stack = getattr(_scopes, "stack", None)
        if stack is None:
            stack = _scopes.stack = []
        stack.append(self.objects)
        return self

    def __exit__(self, *exc):
        _scopes.stack.pop()
        return False


def lookup_custom_object(name, what):
    for objects in reversed(getattr(_scopes, "stack", [])):
        if name in objects:
            return objects[name]
    if name in _registry:
        return _registry[name]
    raise ValueError(f"unknown {what} {name!r}: pass it in custom_objects={{{name!r}: ...}} "
                     "or decorate it with @register_serializable()")


def get_class(class_name):
    return lookup_custom_object(class_name, "layer class")


def serialize(layer):
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config, custom_objects=None):
    """A new layer from {'class_name': ..., 'config': ...}."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"layers.deserialize: expected {{'class_name', 'config'}}, got {config!r}")
    with custom_object_scope(custom_objects):
        cls = get_class(config["class_name"])
        return cls.from_config(dict(config.get("config", {})))
