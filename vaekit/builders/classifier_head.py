"""The classifier head that the semi-supervised model puts on a latent space."""

from __future__ import annotations

from vaekit._lazy_keras import keras

from vaekit._validation import check_positive_int, check_widths


def build_head(latent_dim: int, n_classes: int, head_units=()) -> keras.Model:
    """Classifier head ``z -> class probabilities``: optional ReLU layers, then softmax.

    Parameters
    ----------
    latent_dim : int
        Size of the latent space.
    n_classes : int
        Number of classes.
    head_units : sequence of int, default=()
        Hidden widths; ``()`` gives a linear softmax classifier.

    Returns
    -------
    keras.Model
        Named ``"classifier_head"``.
    """
    latent_dim = check_positive_int("latent_dim", latent_dim)
    n_classes = check_positive_int("n_classes", n_classes, minimum=2)
    head_units = check_widths("head_units", head_units)
    inputs = keras.Input(shape=(latent_dim,), name="z")
    h = inputs
    for i, units in enumerate(head_units):
        h = keras.layers.Dense(units, activation="relu", name=f"hidden_{i}")(h)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="probabilities")(h)
    return keras.Model(inputs, outputs, name="classifier_head")
