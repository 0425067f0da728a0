"""Reads a legacy (pre-zip) torch checkpoint into numpy arrays, without torch.

An independent reader for the reference fixtures: Python's own unpickler, with the two
torch hooks (persistent storages and the tensor rebuild function) replaced by numpy.
"""
import pickle
import struct

import numpy as np

DTYPES = {"FloatStorage": np.float32, "HalfStorage": np.float16}


class _Storage:
    def __init__(self, key, dtype, numel):
        self.key, self.dtype, self.numel = key, dtype, numel
        self.array = None


def _rebuild(storage, offset, size, stride, *rest):
    return ("tensor", storage, offset, tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    def __init__(self, f):
        super().__init__(f)
        self.storages = {}

    def find_class(self, module, name):
        if module == "torch._utils" and name.startswith("_rebuild_tensor"):
            return _rebuild
        if module == "torch" and name in DTYPES:
            return name
        if module == "collections" and name == "OrderedDict":
            import collections
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"unexpected global {module}.{name}")

    def persistent_load(self, pid):
        _, kind, key, _location, numel = pid[:5]
        storage = self.storages.setdefault(key, _Storage(key, DTYPES[kind], numel))
        return storage


def load(path):
    """Returns {name: float32 array} in file order."""
    with open(path, "rb") as f:
        for _ in range(3):  # magic number, protocol version, system info
            pickle.load(f)
        unpickler = _Unpickler(f)
        state = unpickler.load()
        keys = pickle.load(f)
        for key in keys:
            storage = unpickler.storages[key]
            (numel,) = struct.unpack("<q", f.read(8))
            itemsize = np.dtype(storage.dtype).itemsize
            storage.array = np.frombuffer(f.read(numel * itemsize), dtype=storage.dtype)
    out = {}
    for name, (_, storage, offset, size, stride) in state.items():
        itemsize = storage.array.itemsize
        view = np.lib.stride_tricks.as_strided(
            storage.array[offset:], shape=size, strides=[s * itemsize for s in stride])
        out[name] = np.array(view, dtype=np.float32)
    return out
