"""Reads torch's LEGACY (pre-1.6, non-zip) .pth checkpoints with pickle + numpy, no torch.

Layout: five pickles in a row - magic number, protocol version, sys info, then the state
dict whose tensors point at storages by persistent id, then the list of storage keys -
followed by each storage's raw bytes, each preceded by an 8-byte little-endian element
count, in the order of that key list.
"""

from __future__ import annotations

import pickle
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray

_MAGIC = 0x1950A86A20F9469CFC6C
_STORAGE_DTYPES: dict[str, type[np.generic]] = {
    "FloatStorage": np.float32,
    "DoubleStorage": np.float64,
    "HalfStorage": np.float16,
    "LongStorage": np.int64,
    "IntStorage": np.int32,
    "ShortStorage": np.int16,
    "CharStorage": np.int8,
    "ByteStorage": np.uint8,
    "BoolStorage": np.bool_,
}


class PthFormatError(ValueError):
    pass


@dataclass(frozen=True)
class _StorageType:
    dtype: type[np.generic]


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: type[np.generic]


@dataclass(frozen=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(storage: _StorageRef, offset: int, size: Any, stride: Any, *_: Any) -> Any:
    return _TensorRef(storage, int(offset), tuple(size), tuple(stride))


class _Unpickler(pickle.Unpickler):
    """Maps the few torch globals a state dict uses onto plain records; refuses the rest
    (a checkpoint is code: anything else could run arbitrary callables)."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return OrderedDict
        if module == "torch._utils" and name in ("_rebuild_tensor", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(_STORAGE_DTYPES[name])
        raise PthFormatError(f"unexpected global in checkpoint: {module}.{name}")

    def persistent_load(self, pid: Any) -> Any:
        if not (isinstance(pid, tuple) and pid and pid[0] == "storage"):
            raise PthFormatError(f"unexpected persistent id {pid!r}")
        storage_type, key = pid[1], str(pid[2])
        if not isinstance(storage_type, _StorageType):
            raise PthFormatError(f"unexpected storage type {storage_type!r}")
        return _StorageRef(key, storage_type.dtype)


def _load(fh: IO[bytes]) -> Any:
    return _Unpickler(fh).load()


def read_legacy_pth(path: Path) -> dict[str, NDArray[Any]]:
    """Returns the state dict as name -> numpy array (a copy, C-contiguous)."""
    with path.open("rb") as fh:
        if fh.read(2) == b"PK":
            raise PthFormatError("zip-format checkpoint; only the legacy format is supported")
        fh.seek(0)
        if _load(fh) != _MAGIC:
            raise PthFormatError("not a torch legacy checkpoint (bad magic number)")
        _load(fh)  # protocol version
        _load(fh)  # sys info
        state = _load(fh)
        keys = [str(k) for k in _load(fh)]
        dtypes: dict[str, type[np.generic]] = {}
        for ref in state.values():
            if isinstance(ref, _TensorRef):
                dtypes[ref.storage.key] = ref.storage.dtype
        storages: dict[str, NDArray[Any]] = {}
        for key in keys:
            (count,) = np.frombuffer(fh.read(8), "<i8")
            dtype = np.dtype(dtypes.get(key, np.float32)).newbyteorder("<")
            raw = fh.read(int(count) * dtype.itemsize)
            if len(raw) != int(count) * dtype.itemsize:
                raise PthFormatError("checkpoint is truncated")
            storages[key] = np.frombuffer(raw, dtype)
    out: dict[str, NDArray[Any]] = {}
    for name, ref in state.items():
        if not isinstance(ref, _TensorRef):
            continue
        base = storages[ref.storage.key]
        item = base.itemsize
        view = np.lib.stride_tricks.as_strided(
            base[ref.offset :],
            shape=ref.size,
            strides=tuple(s * item for s in ref.stride),
        )
        out[str(name)] = np.ascontiguousarray(view)
    return out
