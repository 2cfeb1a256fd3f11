"""How long a stage trains, in the units users think in, and what that resolves to.

``epochs`` always means passes over the data; ``steps`` (fine-tuning only)
means optimizer steps. Either resolves to a :class:`Schedule`: the exact
number of steps and passes that will run, and how they are cut into Keras
epochs ("rounds"). A round is one Keras ``fit`` epoch: callbacks, logs,
validation and checkpoints happen once a round. On small data sets a pass is
a few steps, and Keras pays a fixed cost per epoch (about 0.25 s on
TensorFlow), so a round holds several passes there.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

#: Optimizer steps that automatic pretraining aims for, and its most passes.
AUTO_PRETRAIN_STEPS = 6000
AUTO_MAX_PRETRAIN_PASSES = 100
#: Optimizer steps that automatic fine-tuning aims for, and its most passes.
AUTO_FINETUNE_STEPS = 3000
AUTO_MAX_FINETUNE_PASSES = 300
#: Fewest steps a round (a Keras epoch) is made of, where the run allows it.
MIN_STEPS_PER_ROUND = 50


@dataclass(frozen=True)
class Schedule:
    """What a training stage will run, resolved for one data set.

    Attributes
    ----------
    steps : int
        Optimizer steps in all.
    epochs : float
        Passes over the data (``steps / steps_per_pass``; whole unless
        ``steps`` was given).
    steps_per_pass : int
        Steps in one pass over the data (``n_rows // batch_size``, at least 1).
    rounds : int
        Keras epochs the steps are cut into.
    steps_per_round : int
        Steps in each round; ``rounds * steps_per_round == steps``.
    """

    steps: int
    epochs: float
    steps_per_pass: int
    rounds: int
    steps_per_round: int

    @property
    def passes_per_round(self) -> int:
        """Whole passes in one round (pass-aligned schedules only)."""
        return max(1, self.steps_per_round // self.steps_per_pass)

    def describe(self) -> str:
        """One line for logs and ``vaekit validate``."""
        def count(n, one: str, many: str) -> str:
            shown = f"{n:,}" if isinstance(n, int) else f"{n:g}"
            return f"{shown} {one if n == 1 else many}"

        return (f"{count(self.steps, 'step', 'steps')} = "
                f"{count(self.epochs, 'epoch (pass)', 'epochs (passes)')} of "
                f"{count(self.steps_per_pass, 'step', 'steps')}, in "
                f"{count(self.rounds, 'round', 'rounds')} of "
                f"{count(self.steps_per_round, 'step', 'steps')}")

    def as_dict(self) -> dict:
        """The fields as a JSON-ready dict."""
        return asdict(self)


def _divisor_nearest(n: int, wanted: int) -> int:
    """The divisor of ``n`` closest to ``wanted`` by ratio (the smaller one on a tie)."""
    divisors = set()
    for d in range(1, math.isqrt(n) + 1):
        if n % d == 0:
            divisors.update((d, n // d))
    return min(sorted(divisors), key=lambda d: abs(math.log(d / wanted)))


def resolve_schedule(n_rows: int, batch_size: int, *, epochs: int | None = None,
                     steps: int | None = None, auto_steps: int, auto_max_passes: int,
                     pass_aligned: bool = False) -> Schedule:
    """Resolve ``epochs`` (passes) or ``steps`` for ``n_rows`` rows into a :class:`Schedule`.

    Parameters
    ----------
    n_rows : int
        Rows in one pass over the data.
    batch_size : int
        Rows per step.
    epochs : int or None
        Passes over the data.
    steps : int or None
        Optimizer steps (instead of ``epochs``).
    auto_steps : int
        Steps wanted when neither is given: ``ceil(auto_steps / steps_per_pass)``
        passes, at most ``auto_max_passes``.
    auto_max_passes : int
        Cap of the automatic passes.
    pass_aligned : bool, default=False
        Rounds must hold whole passes (the pretraining loop repeats the rows
        of a pass); ``steps`` are then rounded up to whole passes.

    Returns
    -------
    Schedule
        Its ``steps`` equal the requested count exactly (for ``steps`` with
        ``pass_aligned``, the next whole pass).
    """
    if epochs is not None and steps is not None:
        raise ValueError(f"Give epochs or steps, not both (got epochs={epochs}, steps={steps}).")
    steps_per_pass = max(1, n_rows // batch_size)
    if steps is not None and pass_aligned:
        epochs, steps = math.ceil(steps / steps_per_pass), None
    if steps is None:
        if epochs is None:
            epochs = max(1, min(auto_max_passes, math.ceil(auto_steps / steps_per_pass)))
        total = epochs * steps_per_pass
    else:
        total = steps
    if pass_aligned or steps is None:
        # Rounds of whole passes, a divisor of the passes, so the total stays exact.
        passes = total // steps_per_pass
        wanted = max(1, math.ceil(MIN_STEPS_PER_ROUND / steps_per_pass))
        per_round = _divisor_nearest(passes, wanted) * steps_per_pass
    else:
        wanted = max(MIN_STEPS_PER_ROUND, steps_per_pass)
        per_round = _divisor_nearest(total, wanted)
    return Schedule(steps=total, epochs=total / steps_per_pass, steps_per_pass=steps_per_pass,
                    rounds=total // per_round, steps_per_round=per_round)
