#!/usr/bin/env python3
"""Writes the checkpoint fixtures read by Tests/NetTests/Checkpoint*Tests.swift.

    python3 Tests/Fixtures/checkpoints/make_checkpoints.py            # (re)write the fixtures
    python3 Tests/Fixtures/checkpoints/make_checkpoints.py --dump F   # print reference values of F

Needs only the Python standard library and numpy. torch is NOT used (nor needed): the torch
names that appear inside checkpoints (torch.FloatStorage, torch.HalfStorage,
torch.DoubleStorage, torch._utils._rebuild_tensor_v2) are emulated by fake modules registered
in sys.modules, so that pickle emits exactly the GLOBAL opcodes torch.save would, and storages
are written as persistent ids by a Pickler subclass, as torch does.

Fixtures (all tiny; the files are committed, this script documents how they were made):

  legacy.pth            legacy torch format (torch.save(..., _use_new_zipfile_serialization=False)):
                        a  [2,3] float32 = arange(6)                     (storage '0')
                        b  [4]   float16 = [0.5, -2, 65504, 2**-24]      (storage '1', HalfStorage)
                        c  [3,2] non-contiguous view of storage '2' (offset 1, stride (1,3))
                        d  [2]   view of a storage view ('2v' = elements 4..7 of '2'),
                             offset 1, stride (2,)
                        storage '2' = 100 + 0.5 * arange(10); the dict carries _metadata (BUILD)
  legacy_proto4.pth     the same content, every pickle written with protocol 4
                        (FRAME, SHORT_BINUNICODE, MEMOIZE, STACK_GLOBAL opcodes)
  torch_zip.pth         zip format written with Python's zipfile, stored entries, data aligned to
                        64 bytes with 'FB' extra fields like torch's writer:
                        features.0.weight [2,1,2,2] float32 = arange(8) * 0.25 - 1
                        features.0.bias   [2]       float16 = [1.5, -0.25]
                        features.2.weight [3,2]     transposed view of storage '2' = arange(6) + 10
  torch_zip64.pth       the same archive written by this script's own zip writer with ZIP64
                        records (zip64 extra fields, zip64 end record and locator)
  tensors.safetensors   a [2,3] F32 = arange(6); b [4] F16 = [0.5, -2, 65504, 2**-24];
                        s [] F32 = 3.25 (scalar); __metadata__; header padded with spaces
  Broken files, each for one error message:
  legacy_truncated.pth  legacy.pth cut 10 bytes short (inside the data of storage '2')
  wrong_magic.pth       legacy.pth with another magic number
  not_a_checkpoint.pth  a line of text
  bad_opcode.pth        legacy header, then a main pickle using the EXT1 opcode
  legacy_double.pth     legacy file whose tensor 'x' has a torch.DoubleStorage
  zip_deflated.pth      torch_zip.pth's content with deflate-compressed entries
  bf16.safetensors      tensor 'a' with dtype BF16
  bad_offsets.safetensors  tensor 'a' whose data_offsets run past the end of the file

The independent reader below (read_legacy / read_zip / read_safetensors, built on
pickle.Unpickler with persistent_load and find_class overrides and numpy as_strided) checks
every fixture after writing it, and with --dump prints the values that the Swift tests expect
from the real ~/.cache/doodle/vgg_normalised.pth.
"""

import collections
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001

# --- Fake torch modules, so that pickle writes torch's GLOBAL opcodes -----------------------

torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")
torch._utils = torch_utils
sys.modules["torch"] = torch
sys.modules["torch._utils"] = torch_utils


def _storage_class(name, dtype):
    cls = type(name, (), {"dtype": np.dtype(dtype)})
    cls.__module__ = "torch"
    cls.__qualname__ = name
    setattr(torch, name, cls)
    return cls


FloatStorage = _storage_class("FloatStorage", "<f4")
HalfStorage = _storage_class("HalfStorage", "<f2")
DoubleStorage = _storage_class("DoubleStorage", "<f8")


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    raise RuntimeError("only a name for pickle; the reader below substitutes its own")


_rebuild_tensor_v2.__module__ = "torch._utils"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2


class Storage:
    """A torch storage: key, storage class and its elements (numpy, little-endian)."""

    def __init__(self, cls, key, values, view=None):
        self.cls, self.key = cls, key
        self.array = np.asarray(values, dtype=cls.dtype)
        self.view = view  # (view_key, offset, numel) for legacy storage views


class Tensor:
    def __init__(self, storage, offset, size, stride, hooks_as_ordered_dict=True):
        self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)
        self.hooks = collections.OrderedDict() if hooks_as_ordered_dict else None

    def __reduce_ex__(self, protocol):
        return (_rebuild_tensor_v2, (self.storage, self.offset, self.size, self.stride, False, self.hooks))


class LegacyPickler(pickle.Pickler):
    """Persistent ids as torch's legacy _save: ('storage', cls, key, location, numel, view_metadata)."""

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", obj.cls, obj.key, "cpu", obj.array.size, obj.view)
        return None


class ZipPickler(pickle.Pickler):
    """Persistent ids as torch's zip _save: ('storage', cls, key, location, numel)."""

    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", obj.cls, obj.key, "cpu", obj.array.size)
        return None


def state_dict(items):
    sd = collections.OrderedDict(items)
    sd._metadata = collections.OrderedDict([("", {"version": 1})])  # like nn.Module.state_dict()
    return sd


# --- Writers --------------------------------------------------------------------------------

def legacy_bytes(obj, storages, protocol=2, magic=MAGIC):
    f = io.BytesIO()
    pickle.dump(magic, f, protocol=protocol)
    pickle.dump(PROTOCOL_VERSION, f, protocol=protocol)
    sys_info = dict(protocol_version=PROTOCOL_VERSION, little_endian=True,
                    type_sizes=dict(short=2, int=4, long=4))
    pickle.dump(sys_info, f, protocol=protocol)
    LegacyPickler(f, protocol=protocol).dump(obj)
    keys = sorted(s.key for s in storages)
    pickle.dump(keys, f, protocol=protocol)
    by_key = {s.key: s for s in storages}
    for k in keys:
        a = by_key[k].array
        f.write(struct.pack("<q", a.size))
        f.write(a.tobytes())
    return f.getvalue()


def legacy_header(protocol=2):
    f = io.BytesIO()
    pickle.dump(MAGIC, f, protocol=protocol)
    pickle.dump(PROTOCOL_VERSION, f, protocol=protocol)
    pickle.dump(dict(protocol_version=PROTOCOL_VERSION, little_endian=True,
                     type_sizes=dict(short=2, int=4, long=4)), f, protocol=protocol)
    return f.getvalue()


def zip_payload(obj, storages, folder="archive"):
    """The entries of a torch zip checkpoint, in torch's order."""
    f = io.BytesIO()
    ZipPickler(f, protocol=2).dump(obj)
    entries = [(folder + "/data.pkl", f.getvalue()), (folder + "/byteorder", b"little")]
    for s in storages:
        entries.append((folder + "/data/" + s.key, s.array.tobytes()))
    entries.append((folder + "/version", b"3\n"))
    return entries


def write_zipfile(path, entries, compression=zipfile.ZIP_STORED):
    """Python's zipfile, with 'FB' padding extra fields aligning data to 64 bytes (as torch)."""
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = compression
            start = z.fp.tell() + 30 + len(name.encode()) + 4
            pad = (-start) % 64
            info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
            z.writestr(info, data)


def write_zip64(path, entries):
    """A stored zip with ZIP64 records everywhere, written by hand."""
    out = io.BytesIO()
    central = []
    for name, data in entries:
        n = name.encode()
        offset = out.tell()
        crc = zlib.crc32(data) & 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc,
                              0xFFFFFFFF, 0xFFFFFFFF, len(n), len(extra)) + n + extra)
        out.write(data)
        central.append((n, crc, len(data), offset))
    cd_offset = out.tell()
    for n, crc, size, offset in central:
        extra = struct.pack("<HHQQQ", 1, 24, size, size, offset)
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc,
                              0xFFFFFFFF, 0xFFFFFFFF, len(n), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + n + extra)
    cd_size = out.tell() - cd_offset
    z64 = out.tell()
    out.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0,
                          len(central), len(central), cd_size, cd_offset))
    out.write(struct.pack("<IIQI", 0x07064B50, 0, z64, 1))
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    with open(path, "wb") as f:
        f.write(out.getvalue())


def safetensors_bytes(tensors, metadata=None, override=None):
    """tensors: list of (name, dtype string, shape, raw bytes)."""
    header, buf = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [len(buf), len(buf) + len(raw)]}
        buf += raw
    if override:
        for name, fields in override.items():
            header[name].update(fields)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((-len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + buf


# --- The independent reader -----------------------------------------------------------------

def _strided(storage_array, offset, size, stride):
    if int(np.prod(size)) == 0:
        return np.zeros(size, dtype=np.float32)
    item = storage_array.itemsize
    view = np.lib.stride_tricks.as_strided(storage_array[offset:], shape=size,
                                           strides=[s * item for s in stride])
    return view.astype(np.float32)


class _Reader(pickle.Unpickler):
    """Unpickles a torch object without torch: storages and tensors become plain tuples."""

    def __init__(self, f, storages):
        super().__init__(f)
        self.storages = storages

    def find_class(self, module, name):
        if (module, name) in (("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor")):
            return lambda storage, offset, size, stride, *rest: ("tensor", storage, offset, tuple(size), tuple(stride))
        if module == "torch" and name.endswith("Storage"):
            return {"FloatStorage": "<f4", "HalfStorage": "<f2", "DoubleStorage": "<f8"}[name]
        if (module, name) == ("collections", "OrderedDict"):
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"unexpected global {module}.{name}")

    def persistent_load(self, pid):
        assert pid[0] == "storage"
        dtype, key, numel = pid[1], pid[2], pid[4]
        view = pid[5] if len(pid) > 5 else None
        self.storages[key] = (dtype, numel)
        return ("storage", key, dtype, view)


def _resolve(obj, data):
    out = collections.OrderedDict()
    for name, t in obj.items():
        _, (_, key, dtype, view), offset, size, stride = t
        arr = data[key]
        if view is not None:
            arr = arr[view[1]:view[1] + view[2]]
        out[name] = _strided(arr, offset, size, stride)
    return out


def read_legacy(path):
    with open(path, "rb") as f:
        assert pickle.load(f) == MAGIC, "bad magic"
        assert pickle.load(f) == PROTOCOL_VERSION
        pickle.load(f)
        storages = {}
        obj = _Reader(f, storages).load()
        keys = pickle.load(f)
        data = {}
        for k in keys:
            dtype, numel = storages[k]
            (count,) = struct.unpack("<q", f.read(8))
            assert count == numel
            raw = f.read(count * np.dtype(dtype).itemsize)
            assert len(raw) == count * np.dtype(dtype).itemsize, "truncated"
            data[k] = np.frombuffer(raw, dtype=dtype)
    return _resolve(obj, data)


def read_zip(path):
    with zipfile.ZipFile(path) as z:
        pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        folder = pkl[: -len("data.pkl")]
        storages = {}
        obj = _Reader(io.BytesIO(z.read(pkl)), storages).load()
        data = {k: np.frombuffer(z.read(folder + "data/" + k), dtype=d)[:n] for k, (d, n) in storages.items()}
    return _resolve(obj, data)


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    buf = raw[8 + n:]
    out = collections.OrderedDict()
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F32": "<f4", "F16": "<f2"}[info["dtype"]]
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(buf[b:e], dtype=dtype).astype(np.float32).reshape(info["shape"])
    return out


# --- Fixtures -------------------------------------------------------------------------------

HALF_VALUES = [0.5, -2.0, 65504.0, 2.0 ** -24]


def legacy_fixture(protocol=2):
    s0 = Storage(FloatStorage, "0", np.arange(6))
    s1 = Storage(HalfStorage, "1", HALF_VALUES)
    s2 = Storage(FloatStorage, "2", 100 + 0.5 * np.arange(10))
    s2v = Storage(FloatStorage, "2", s2.array, view=("2v", 4, 4))
    sd = state_dict([
        ("a", Tensor(s0, 0, (2, 3), (3, 1), hooks_as_ordered_dict=False)),
        ("b", Tensor(s1, 0, (4,), (1,), hooks_as_ordered_dict=False)),
        ("c", Tensor(s2, 1, (3, 2), (1, 3), hooks_as_ordered_dict=False)),
        ("d", Tensor(s2v, 1, (2,), (2,), hooks_as_ordered_dict=False)),
    ])
    return legacy_bytes(sd, [s0, s1, s2], protocol=protocol)


def zip_entries():
    s0 = Storage(FloatStorage, "0", np.arange(8) * 0.25 - 1)
    s1 = Storage(HalfStorage, "1", [1.5, -0.25])
    s2 = Storage(FloatStorage, "2", np.arange(6) + 10)
    sd = state_dict([
        ("features.0.weight", Tensor(s0, 0, (2, 1, 2, 2), (4, 4, 2, 1))),
        ("features.0.bias", Tensor(s1, 0, (2,), (1,))),
        ("features.2.weight", Tensor(s2, 0, (3, 2), (1, 3))),
    ])
    return zip_payload(sd, [s0, s1, s2])


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    expected_legacy = {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "b": np.array(HALF_VALUES, dtype=np.float16).astype(np.float32),
        "c": np.array([[100.5, 102.0], [101.0, 102.5], [101.5, 103.0]], dtype=np.float32),
        "d": np.array([102.5, 103.5], dtype=np.float32),
    }
    expected_zip = {
        "features.0.weight": (np.arange(8) * 0.25 - 1).astype(np.float32).reshape(2, 1, 2, 2),
        "features.0.bias": np.array([1.5, -0.25], dtype=np.float32),
        "features.2.weight": (np.arange(6, dtype=np.float32) + 10).reshape(2, 3).T,
    }

    def check(read, path, expected):
        got = read(os.path.join(HERE, path))
        assert list(got) == list(expected), (path, list(got))
        for k in expected:
            assert got[k].shape == expected[k].shape and np.array_equal(got[k], expected[k]), (path, k, got[k])

    legacy = legacy_fixture()
    write("legacy.pth", legacy)
    check(read_legacy, "legacy.pth", expected_legacy)
    write("legacy_proto4.pth", legacy_fixture(protocol=4))
    check(read_legacy, "legacy_proto4.pth", expected_legacy)

    write_zipfile(os.path.join(HERE, "torch_zip.pth"), zip_entries())
    check(read_zip, "torch_zip.pth", expected_zip)
    write_zip64(os.path.join(HERE, "torch_zip64.pth"), zip_entries())
    check(read_zip, "torch_zip64.pth", expected_zip)

    half = np.array(HALF_VALUES, dtype="<f2").tobytes()
    st = [("a", "F32", (2, 3), np.arange(6, dtype="<f4").tobytes()),
          ("b", "F16", (4,), half),
          ("s", "F32", (), np.array([3.25], dtype="<f4").tobytes())]
    write("tensors.safetensors", safetensors_bytes(st, metadata={"format": "pt"}))
    check(read_safetensors, "tensors.safetensors", {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "b": np.array(HALF_VALUES, dtype=np.float16).astype(np.float32),
        "s": np.array(3.25, dtype=np.float32)})

    # Broken files.
    write("legacy_truncated.pth", legacy[:-10])
    wrong = legacy_bytes(pickle.loads(b"\x80\x02}q\x00."), [], magic=MAGIC + 1)
    write("wrong_magic.pth", wrong)
    write("not_a_checkpoint.pth", b"this is a text file, not a checkpoint\n")
    write("bad_opcode.pth", legacy_header() + b"\x80\x02}q\x00\x82\x01.")
    sx = Storage(DoubleStorage, "0", [1.0, 2.0])
    write("legacy_double.pth", legacy_bytes(state_dict([("x", Tensor(sx, 0, (2,), (1,)))]), [sx]))
    write_zipfile(os.path.join(HERE, "zip_deflated.pth"), zip_entries(), compression=zipfile.ZIP_DEFLATED)
    bf16 = (np.arange(4, dtype="<f4").view("<u4") >> 16).astype("<u2").tobytes()
    write("bf16.safetensors", safetensors_bytes([("a", "BF16", (4,), bf16)]))
    write("bad_offsets.safetensors", safetensors_bytes(
        [("a", "F32", (2,), np.zeros(2, dtype="<f4").tobytes())], override={"a": {"data_offsets": [0, 800], "shape": [200]}}))
    print("wrote fixtures to", HERE)


def dump(path):
    """Reference values for the Swift test of a real checkpoint."""
    with open(path, "rb") as f:
        head = f.read(4)
    tensors = read_zip(path) if head == b"PK\x03\x04" else read_legacy(path)
    print(len(tensors), "tensors")
    for name, t in tensors.items():
        flat = t.reshape(-1)
        print(f"{name} {list(t.shape)} first={flat[:3].tolist()} last={flat[-1]!r} "
              f"sum={float(t.astype(np.float64).sum())!r}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--dump":
        dump(os.path.expanduser(sys.argv[2]))
    else:
        main()
