"""Settings of the VAE and of its pretraining on all (unlabeled) rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from vaekit._validation import (
    SettingTypeError,
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


@dataclass
class PretrainConfig:
    """How the VAE is built and pretrained on all (unlabeled) data.

    Attributes
    ----------
    architecture : str
        Encoder/decoder family: ``"dense"``, ``"conv"`` or ``"recurrent"``.
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

    architecture: str = "dense"
    latent_dim: int = 50
    reconstruction: str = "bce"
    beta: float = 1.0
    free_bits: float = 0.0
    epochs: int | None = None
    batch_size: int = 256
    learning_rate: float = 1e-3
    architecture_options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_choice("pretrain.architecture", self.architecture, ARCHITECTURE_NAMES)
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

    def resolved_architecture_options(self) -> dict:
        """Builder options with the dense default filled in."""
        options = dict(self.architecture_options)
        if self.architecture == "dense":
            options.setdefault("hidden_units", (1000, 500))
        return options
