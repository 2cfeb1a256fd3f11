"""The gradient of a scalar with respect to an input tensor, on the active Keras backend.

``keras.ops`` has no gradient operation; virtual adversarial training
(:func:`vaekit.losses.adversarial.virtual_adversarial_perturbation`) needs
one inside a training step, so this module is the one place that speaks to
each backend's own differentiation (``tf.GradientTape``, ``jax.grad``,
``torch.autograd.grad``).
"""

from __future__ import annotations

from collections.abc import Callable

import keras

__all__ = ["input_gradient"]


def input_gradient(function: Callable, x):
    """``d function(x) / d x`` for a scalar-valued ``function``, on the active backend.

    Parameters
    ----------
    function : callable
        ``function(x) -> scalar tensor``, built from ``keras.ops`` and Keras
        layers (their weights are treated as constants).
    x : tensor
        The point at which the gradient is taken.

    Returns
    -------
    tensor
        Same shape as ``x``; no gradient flows through it.

    Raises
    ------
    NotImplementedError
        On a Keras backend other than TensorFlow, JAX or PyTorch.
    """
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return jax.lax.stop_gradient(jax.grad(function)(x))
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(x)
            value = function(x)
        return tf.stop_gradient(tape.gradient(value, x))
    if backend == "torch":
        import torch

        x = x.detach().requires_grad_(True)
        with torch.enable_grad():
            (gradient,) = torch.autograd.grad(function(x), x)
        return gradient.detach()
    raise NotImplementedError(
        f"input gradients are implemented for the tensorflow, jax and torch backends, not "
        f"{backend!r}; set KERAS_BACKEND to one of those or turn the adversarial term off "
        "(adversarial_weight=0).")
