"""The distribution names, apart from :mod:`vaekit.distribution` so that checking a
pipeline file (``vaekit validate``) imports no Keras."""

from __future__ import annotations

#: The distribution names and what each one means.
DISTRIBUTIONS: dict[str, str] = {
    "none": "one device (the default)",
    "mirrored": "every device of this machine, synchronous data parallelism",
    "data_parallel": "the same as 'mirrored' (Keras' name for it)",
    "multi_worker": "every device of several machines (JAX backend)",
}
