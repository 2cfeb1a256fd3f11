"""Training helpers shared by the models, the estimators and the runner."""

from vaekit.training.callbacks import BetaWarmup, StopOnNonFiniteLoss, TrainingDivergedError

__all__ = ["BetaWarmup", "StopOnNonFiniteLoss", "TrainingDivergedError"]
