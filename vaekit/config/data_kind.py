"""What kind of data a sample shape and a reconstruction loss describe."""

from __future__ import annotations


def is_image_shape(sample_shape) -> bool:
    """Whether samples of this shape are images: ``(H, W, C)`` with H, W >= 8.

    Parameters
    ----------
    sample_shape : tuple of int
        Shape of one sample.

    Returns
    -------
    bool
        False for flat rows (tables, or images given as vectors) and sequences.
    """
    shape = tuple(sample_shape)
    return len(shape) == 3 and min(shape[:2]) >= 8


def is_pixel_data(sample_shape, reconstruction: str) -> bool:
    """Whether the fine-tune treats the data as pixels: images, or values in [0, 1].

    Images ``(H, W, C)`` count whatever their loss; other samples (flat rows,
    sequences) count when the VAE models them as Bernoulli (``"bce"``: values
    in [0, 1], such as flattened pixels). Real-valued rows (``"mse"``, e.g.
    standardised tables) do not.

    Parameters
    ----------
    sample_shape : tuple of int
        Shape of one sample.
    reconstruction : str
        The VAE's reconstruction loss, ``"bce"`` or ``"mse"``.

    Returns
    -------
    bool
    """
    return is_image_shape(sample_shape) or reconstruction == "bce"
