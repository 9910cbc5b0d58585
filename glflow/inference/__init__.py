"""Batch inference over model files, in one process: `load_predictor(path)` (the one place a
model file becomes a callable with input and output specs), image folders and decoding, and
running one batch with every unreadable input reported by index (InputError).
glflow.distributed runs the same batches on Dask workers; `glflow run MODEL` uses both."""
from .batches import predict_images, predict_items, predict_rows
from .errors import Failure, InputError
from .images import IMAGE_SUFFIXES, image_shape, list_images, read_image
from .predictor import Predictor, TensorSpec, load_predictor, model_files

__all__ = ["load_predictor", "model_files", "Predictor", "TensorSpec", "InputError", "Failure",
           "list_images", "image_shape", "read_image", "IMAGE_SUFFIXES", "predict_rows",
           "predict_images", "predict_items"]
