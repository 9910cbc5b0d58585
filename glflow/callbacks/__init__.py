"""Training callbacks (Keras names and behaviour)."""
from .base import Callback, CallbackList, History, LambdaCallback, TerminateOnNaN
from .monitors import (CSVLogger, EarlyStopping, LearningRateScheduler, ModelCheckpoint,
                       ReduceLROnPlateau)
from .progbar import ProgbarLogger

__all__ = ["Callback", "CallbackList", "History", "LambdaCallback", "TerminateOnNaN",
           "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau", "LearningRateScheduler",
           "CSVLogger", "ProgbarLogger"]
