"""Files in and out.

Images and animations (`gf.io.read_image`, `write_image`, `write_gif`; images.py, through
Pillow). Model files of other frameworks, through `gf.models.load_model` and `model.save`:

    keras_format   Keras' .keras files (zip: config.json + model.weights.h5 + metadata.json)
    keras_h5       legacy Keras .h5 files (model_config attribute + model_weights group)
    tfjs_format    TensorFlow.js layers models (model.json + binary weight shards), both ways

keras_config (layer options), keras_graph (the model's graph) and keras_model (building,
weights) are the translation the three share: TF.js' topology is Keras 2's JSON; tfjs_config
translates the other way for the TF.js export. Reading Keras files needs h5py (`glflow[io]`).
"""
from ..models import saving
from . import keras_format, keras_h5, tfjs_format
from .images import read_image, write_gif, write_image

saving.register_reader(keras_format.sniff, keras_format.load)
saving.register_reader(keras_h5.sniff, keras_h5.load)
saving.register_reader(tfjs_format.sniff, tfjs_format.load)
saving.register_writer(tfjs_format.owns, tfjs_format.save)

__all__ = ["keras_format", "keras_h5", "tfjs_format", "read_image", "write_image", "write_gif"]
