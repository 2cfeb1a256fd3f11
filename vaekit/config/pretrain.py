"""Settings of the VAE and of its pretraining on all (unlabeled) rows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vaekit._validation import (
    SettingTypeError,
    SettingValueError,
    check_choice,
    check_learning_rate,
    check_non_negative_float,
    check_positive_int,
)
from vaekit.config.schedule import (
    AUTO_MAX_PRETRAIN_PASSES,
    AUTO_PRETRAIN_STEPS,
    Schedule,
    resolve_schedule,
)

#: Reconstruction losses by name (see :mod:`vaekit.losses`).
RECONSTRUCTIONS = ("bce", "mse")
#: Keys of :data:`vaekit.builders.ARCHITECTURES`, named here so that checking a
#: config needs no Keras import (a test keeps the two equal).
ARCHITECTURE_NAMES = ("conv", "dense", "recurrent")

#: ``package.module:function`` (the function may be dotted: ``module:Class.method``).
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def check_architecture(name: str, value) -> Any:
    """Check an architecture setting: a built-in name, import paths of your
    builders (``{"encoder": "pkg.mod:fn", "decoder": "pkg.mod:fn"}``), or an
    :class:`~vaekit.builders.Architecture`. Import paths are checked for their
    form here, and imported when the model is built.

    Parameters
    ----------
    name : str
        Setting name used in the error message.
    value : object
        The value given by the user.

    Returns
    -------
    object
        ``value``.
    """
    if isinstance(value, dict):
        if set(value) != {"encoder", "decoder"}:
            raise SettingValueError(
                name, "as a mapping must have exactly the keys 'encoder' and 'decoder' "
                      f"(import paths 'package.module:function'), got {sorted(value)}.")
        for part, path in value.items():
            if not isinstance(path, str) or not _IMPORT_PATH.match(path):
                raise SettingValueError(
                    f"{name}.{part}", "must be an import path 'package.module:function', "
                                      f"got {path!r}.")
        return value
    if hasattr(value, "build_encoder") and hasattr(value, "build_decoder"):
        return value  # an Architecture (checked without importing Keras)
    if not isinstance(value, str):
        raise SettingTypeError(
            name, f"must be one of {', '.join(map(repr, ARCHITECTURE_NAMES))}, a mapping "
                  "{'encoder': 'package.module:function', 'decoder': ...} or an "
                  f"Architecture from vaekit.builders.custom_architecture; got {value!r}.")
    return check_choice(name, value, ARCHITECTURE_NAMES)


@dataclass
class PretrainConfig:
    """How the VAE is built and pretrained on all (unlabeled) data.

    Attributes
    ----------
    architecture : str, dict or Architecture
        Encoder/decoder family: ``"dense"``, ``"conv"`` or ``"recurrent"``; or your
        own network: ``{"encoder": "package.module:function", "decoder": ...}``
        (import paths of builder functions, the form pipeline files use) or an
        :class:`~vaekit.builders.Architecture` from
        :func:`vaekit.builders.custom_architecture`.
    latent_dim : int
        Size of the latent space. 50 follows Kingma et al. (2014) for MNIST.
    reconstruction : str
        ``"bce"`` (Bernoulli, data in [0, 1]) or ``"mse"`` (L2).
    beta : float
        Weight of the KL term.
    free_bits : float
        Per-dimension KL floor in nats (0 disables it); applies in pretraining
        and in the VAE term of fine-tuning.
    epochs : int or None
        Passes over the data; ``None`` picks about 6,000 optimizer steps' worth,
        at most 100 passes (see :meth:`schedule` for what a data set gets).
    batch_size : int
        Rows per step.
    learning_rate : float
        Adam learning rate (> 0).
    architecture_options : dict
        Options of the architecture's builders; the dense default is
        ``{"hidden_units": (1000, 500)}`` (Kingma et al. 2014's M1 encoder).
    """

    architecture: str | dict | Any = "dense"
    latent_dim: int = 50
    reconstruction: str = "bce"
    beta: float = 1.0
    free_bits: float = 0.0
    epochs: int | None = None
    batch_size: int = 256
    learning_rate: float = 1e-3
    architecture_options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_architecture("pretrain.architecture", self.architecture)
        check_choice("pretrain.reconstruction", self.reconstruction, RECONSTRUCTIONS)
        check_positive_int("pretrain.latent_dim", self.latent_dim)
        check_positive_int("pretrain.batch_size", self.batch_size)
        if self.epochs is not None:
            check_positive_int("pretrain.epochs", self.epochs)
        check_non_negative_float("pretrain.beta", self.beta)
        check_non_negative_float("pretrain.free_bits", self.free_bits)
        check_learning_rate("pretrain.learning_rate", self.learning_rate)
        if not isinstance(self.architecture_options, dict):
            raise SettingTypeError(
                "pretrain.architecture_options",
                "must be a dict of builder options, got "
                f"{type(self.architecture_options).__name__}.")

    def schedule(self, n_rows: int) -> Schedule:
        """What pretraining on ``n_rows`` rows will run (resolves ``epochs=None``).

        Parameters
        ----------
        n_rows : int
            Rows in the training data.

        Returns
        -------
        Schedule
        """
        return resolve_schedule(
            n_rows, min(self.batch_size, n_rows), epochs=self.epochs,
            auto_steps=AUTO_PRETRAIN_STEPS, auto_max_passes=AUTO_MAX_PRETRAIN_PASSES,
            pass_aligned=True)

    def builders(self):
        """What :func:`vaekit.build_vae` takes as ``architecture``: a name or an
        :class:`~vaekit.builders.Architecture` (import paths are imported here)."""
        if isinstance(self.architecture, dict):
            from vaekit.builders.custom import custom_architecture

            return custom_architecture(self.architecture["encoder"],
                                       self.architecture["decoder"])
        return self.architecture

    def resolved_architecture_options(self) -> dict:
        """Builder options with the dense default filled in."""
        options = dict(self.architecture_options)
        if self.architecture == "dense":
            options.setdefault("hidden_units", (1000, 500))
        return options
