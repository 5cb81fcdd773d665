"""One HDF5 opening for the sequence readers: kgenint._io_inputs.read_sequences and
kgenint.keras.training.read_training_data refuse the same broken files with the same words."""
import h5py
import numpy as np
import pytest

from kgenint._io_inputs import open_onehot_hdf5, read_sequences
from kgenint.errors import FormatError


def test_open_onehot_hdf5_and_the_readers(tmp_path):
    x = np.eye(4, dtype=np.float32)[np.random.default_rng(0).integers(0, 4, (5, 12))]
    with h5py.File(tmp_path / "ok.h5", "w") as f:
        f["x"] = x
    with open_onehot_hdf5(str(tmp_path / "ok.h5")) as f:
        np.testing.assert_array_equal(f["x"][()], x)
    assert not f  # closed on leaving
    np.testing.assert_array_equal(read_sequences(tmp_path / "ok.h5").x, x)

    with h5py.File(tmp_path / "group.h5", "w") as f:
        f["x/a"] = x
        f["y"] = np.zeros(5)
    damaged = tmp_path / "damaged.h5"
    damaged.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)  # the signature, then nothing usable
    readers = [read_sequences]
    pytest.importorskip("keras")
    from kgenint.keras.training import read_training_data

    readers.append(read_training_data)
    for read in readers:
        with pytest.raises(FormatError, match=r"group\.h5: no '/x' dataset: "):
            read(tmp_path / "group.h5")
        with pytest.raises(FormatError, match=r"damaged\.h5: not an HDF5 file, or a damaged one \("):
            read(damaged)
    with pytest.raises(FormatError, match="no '/x' dataset: one-hot sequences of shape"):
        read_sequences(tmp_path / "group.h5")
    with pytest.raises(FormatError, match="no '/x' dataset: a training file needs '/x'"):
        read_training_data(tmp_path / "group.h5")
